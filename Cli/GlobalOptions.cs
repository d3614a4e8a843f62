using System.CommandLine;
using Imv.Client;
using Imv.Client.Connection;
using Microsoft.Extensions.Configuration;

namespace Imv.Cli;

/// <summary>The options every command takes, and the connection they describe.</summary>
internal static class GlobalOptions
{
    public static readonly Option<string?> Cluster = new("--cluster")
    {
        Description = "The silos' gateways, host:port[,host:port] (default: the --config file's, else 127.0.0.1:30000)",
        Recursive = true,
    };

    public static readonly Option<string?> Config = new("--config")
    {
        Description = "A JSON configuration file: a silo's (its Silo section and ConnectionStrings) or one with a Client section (docs/sdk.md)",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Write JSON instead of tables (one object per line for live views)",
        Recursive = true,
    };

    public static readonly Option<double?> ConnectTimeout = new("--connect-timeout")
    {
        Description = "Seconds to keep trying to reach the cluster (default 10)",
        Recursive = true,
    };

    /// <summary>The client options the parse result describes; <see cref="CliException"/> (bad usage) naming every problem.</summary>
    public static ImvClientOptions ClientOptions(ParseResult parse)
    {
        var builder = new ConfigurationBuilder();
        if (parse.GetValue(Config) is { } file)
        {
            var path = Path.GetFullPath(file);
            if (!File.Exists(path)) throw new CliException(ExitCodes.BadUsage, $"--config: the file '{path}' does not exist.");
            builder.AddJsonFile(path, optional: false);
        }
        builder.AddEnvironmentVariables("IMV_");
        IConfiguration configuration;
        try { configuration = builder.Build(); }
        catch (Exception e) when (e is InvalidDataException or FormatException or System.Text.Json.JsonException)
        {
            throw new CliException(ExitCodes.BadUsage, $"--config: {e.Message}");
        }
        var problems = new List<string>();
        var options = ImvClientOptions.FromConfiguration(configuration, problems);
        if (parse.GetValue(Cluster) is { } cluster)
        {
            options.Clustering = ClusteringKinds.Localhost;
            options.Gateways.Clear();
            options.Gateways.AddRange(cluster.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            problems.Clear();
            problems.AddRange(options.Validate().Select(p => p.Replace("Client:Gateways", "--cluster", StringComparison.Ordinal)));
        }
        if (parse.GetValue(ConnectTimeout) is { } seconds)
        {
            if (seconds is > 0 and < 3600) options.ConnectTimeout = TimeSpan.FromSeconds(seconds);
            else problems.Add($"--connect-timeout: {seconds} is not between 0 and 3600 seconds.");
        }
        if (problems.Count > 0) throw new CliException(ExitCodes.BadUsage, string.Join(Environment.NewLine, problems.Distinct()));
        return options;
    }

    /// <summary>Connects; <see cref="CliException"/> (unreachable) naming the cluster and what was tried.</summary>
    public static async Task<ImvClient> ConnectAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var options = ClientOptions(parse);
        try
        {
            return await ImvClient.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (ClusterUnreachableException e)
        {
            throw new CliException(ExitCodes.Unreachable, e.Message);
        }
    }
}
