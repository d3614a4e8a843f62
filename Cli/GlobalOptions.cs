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

    public static readonly Option<string?> ApiKey = new("--api-key")
    {
        Description = "The API key to act with (default: IMV_API_KEY, the --config file's Client:ApiKey, else the main job's administrator key file; docs/cli.md)",
        Recursive = true,
    };

    /// <summary>The environment variable holding the API key.</summary>
    public const string ApiKeyVariable = "IMV_API_KEY";

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
            problems.AddRange(options.Validate().Where(p => !p.StartsWith("Client:ApiKey", StringComparison.Ordinal))
                .Select(p => p.Replace("Client:Gateways", "--cluster", StringComparison.Ordinal)));
        }
        options.ApiKey = ApiKeyOf(parse, configuration, options.ApiKey, problems);
        if (parse.GetValue(ConnectTimeout) is { } seconds)
        {
            if (seconds is > 0 and < 3600) options.ConnectTimeout = TimeSpan.FromSeconds(seconds);
            else problems.Add($"--connect-timeout: {seconds} is not between 0 and 3600 seconds.");
        }
        if (problems.Count > 0) throw new CliException(ExitCodes.BadUsage, string.Join(Environment.NewLine, problems.Distinct()));
        return options;
    }

    /// <summary>The key to act with, first found: <c>--api-key</c>, <c>IMV_API_KEY</c>, <c>Client:ApiKey</c> of the
    /// configuration, then the administrator key file a silo wrote at its first start: the --config file's
    /// (<c>Auth:AdminKeyFile</c>, else <c>Silo:SqlitePath</c> + <c>.admin-key</c>), else the main job's default
    /// (<see cref="DefaultKeyFiles"/>). Null when none is found (the silo then refuses the calls, naming the missing key).</summary>
    internal static string? ApiKeyOf(ParseResult parse, IConfiguration configuration, string? configured, List<string> problems)
    {
        static string? Valid(string? key, string where, List<string> problems)
        {
            if (string.IsNullOrWhiteSpace(key)) return null;
            key = key.Trim();
            if (!key.StartsWith("imv_", StringComparison.Ordinal) || key.Length is < 23 or > 128)
                problems.Add($"{where}: not an Imv API key (imv_<key id>_<secret>).");
            return key;
        }
        problems.RemoveAll(p => p.StartsWith("Client:ApiKey", StringComparison.Ordinal));
        if (Valid(parse.GetValue(ApiKey), "--api-key", problems) is { } given) return given;
        if (Valid(Environment.GetEnvironmentVariable(ApiKeyVariable), ApiKeyVariable, problems) is { } fromEnvironment) return fromEnvironment;
        if (Valid(configured, "Client:ApiKey", problems) is { } fromConfiguration) return fromConfiguration;
        IEnumerable<string> files = DefaultKeyFiles;
        // Relative paths as the silo reads them: from the working directory.
        if (parse.GetValue(Config) is not null)
            files = configuration["Auth:AdminKeyFile"] is { Length: > 0 } keyFile ? [Path.GetFullPath(keyFile)]
                : configuration["Silo:SqlitePath"] is { Length: > 0 } data ? [Path.GetFullPath(data) + ".admin-key"] : files;
        foreach (var file in files)
        {
            string text;
            try { text = File.ReadAllText(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            if (Valid(text, file, problems) is { } fromFile) return fromFile;
        }
        return null;
    }

    /// <summary>Where the main job writes its administrator key at its first start when run from the repository
    /// (<c>dotnet run --project Silo</c>: <c>Silo/data/imv.db.admin-key</c>) or from the Silo directory.</summary>
    internal static IReadOnlyList<string> DefaultKeyFiles =>
        [Path.GetFullPath(Path.Combine("Silo", "data", "imv.db.admin-key")), Path.GetFullPath(Path.Combine("data", "imv.db.admin-key"))];

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
