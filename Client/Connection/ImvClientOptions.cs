using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Imv.Client.Connection;

/// <summary>How the SDK reaches a cluster: the same cluster id, service id and gateways as the silos. Bind it from
/// a silo's own configuration (<see cref="FromConfiguration"/>: the <c>Silo</c> section's ClusterId, ServiceId and
/// GatewayPort) or set it in code.</summary>
public sealed class ImvClientOptions
{
    /// <summary>The configuration section of the client's own settings.</summary>
    public const string SectionName = "Client";

    /// <summary>The API key (<c>imv_…</c>) every grain call is authenticated with (section <c>Client:ApiKey</c>): the
    /// same keys as the HTTP API, created by an administrator (<c>POST /api/keys</c>) or the administrator key the main
    /// job writes at its first start. The calls act as the key's avatar, with its role's rights in its scopes. Without
    /// it every call is refused. Never logged, nor shown by <see cref="Describe"/>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Orleans' cluster id (the silos' <c>Silo:ClusterId</c>). Default "imv".</summary>
    public string ClusterId { get; set; } = "imv";

    /// <summary>Orleans' service id (the silos' <c>Silo:ServiceId</c>). Default "imv".</summary>
    public string ServiceId { get; set; } = "imv";

    /// <summary>How the gateways are found (<see cref="ClusteringKinds"/>): "Localhost" (default: the static
    /// <see cref="Gateways"/>), "AdoNet" (the silos' membership table in PostgreSQL, <see cref="PostgreSqlConnectionString"/>)
    /// or "AzureStorage" (Azure Table storage, <see cref="AzureStorageConnectionString"/>): the silos' own <c>Silo:Clustering</c>.</summary>
    public string Clustering { get; set; } = ClusteringKinds.Localhost;

    /// <summary>The PostgreSQL connection string of the membership table (<c>ConnectionStrings:PostgreSql</c>), for AdoNet.</summary>
    public string? PostgreSqlConnectionString { get; set; }

    /// <summary>The Azure Storage connection string (<c>ConnectionStrings:AzureStorage</c>), for AzureStorage.</summary>
    public string? AzureStorageConnectionString { get; set; }

    /// <summary>The silos' gateway endpoints, <c>host:port</c> (localhost clustering: static gateways). Default
    /// <c>127.0.0.1:30000</c> (the silo's default <c>Silo:GatewayPort</c>).</summary>
    public List<string> Gateways { get; set; } = [];

    /// <summary>How long <see cref="ImvClient.ConnectAsync(ImvClientOptions, CancellationToken)"/> keeps trying before
    /// it gives up with <see cref="ClusterUnreachableException"/>. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a grain call may take (Orleans' client ResponseTimeout). Default 30 s.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a live subscription renews its watch: the longest a silo failover or a reconnect goes
    /// unnoticed, after which the subscription resubscribes and reports the gap. Default 5 s; below
    /// <c>WatchLimits.Expiry</c> (2 min).</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The organization listings start from when none is named (the plant's enterprise, <c>Plant:EnterpriseId</c>
    /// on the silo). Default "enterprise".</summary>
    public string RootOrganization { get; set; } = "enterprise";

    /// <summary>The default gateway when none is given.</summary>
    public const string DefaultGateway = "127.0.0.1:30000";

    /// <summary>The gateways in force (the default one when none was set).</summary>
    public IReadOnlyList<string> EffectiveGateways => Gateways.Count > 0 ? Gateways : [DefaultGateway];

    /// <summary>Mutual TLS to the cluster's gateways (section <c>Client:Tls</c>); required when the silos run with
    /// <c>Silo:Tls</c>.</summary>
    public TlsSettings Tls { get; set; } = new();

    /// <summary>Where the client looks for the cluster, for messages.</summary>
    public string Describe() => Clustering switch
    {
        ClusteringKinds.AdoNet => "the membership table in PostgreSQL (" + Redacted(PostgreSqlConnectionString) + ")",
        ClusteringKinds.AzureStorage => "the membership table in Azure Table storage",
        _ => "gateway(s) " + string.Join(", ", EffectiveGateways),
    };

    private static string Redacted(string? connectionString)
    {
        if (connectionString is null) return "";
        var kept = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(p => p.StartsWith("Host=", StringComparison.OrdinalIgnoreCase) || p.StartsWith("Port=", StringComparison.OrdinalIgnoreCase) || p.StartsWith("Database=", StringComparison.OrdinalIgnoreCase));
        return string.Join(";", kept);
    }

    /// <summary>Reads the options from a configuration: the <c>Client</c> section (ClusterId, ServiceId, Gateways,
    /// ConnectTimeout, ResponseTimeout, RenewInterval), falling back to a silo's <c>Silo</c> section (ClusterId,
    /// ServiceId, and GatewayPort on 127.0.0.1), so that a silo's configuration file reaches its cluster.
    /// Problems are added to <paramref name="problems"/>, every one named.</summary>
    public static ImvClientOptions FromConfiguration(IConfiguration configuration, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(problems);
        var o = new ImvClientOptions();
        var client = configuration.GetSection(SectionName);
        var silo = configuration.GetSection("Silo");
        o.ClusterId = client["ClusterId"] ?? silo["ClusterId"] ?? o.ClusterId;
        o.ServiceId = client["ServiceId"] ?? silo["ServiceId"] ?? o.ServiceId;
        o.Clustering = client["Clustering"] ?? silo["Clustering"] ?? o.Clustering;
        o.PostgreSqlConnectionString = configuration.GetConnectionString("PostgreSql");
        o.AzureStorageConnectionString = configuration.GetConnectionString("AzureStorage");
        o.ApiKey = client[nameof(ApiKey)] is { Length: > 0 } key ? key.Trim() : null;
        o.RootOrganization = client["RootOrganization"] ?? configuration["Plant:EnterpriseId"] ?? o.RootOrganization;
        var gateways = client.GetSection("Gateways");
        if (gateways.Value is { Length: > 0 } single) o.Gateways.AddRange(single.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        foreach (var g in gateways.GetChildren()) if (g.Value is { Length: > 0 } v) o.Gateways.Add(v);
        if (o.Gateways.Count == 0 && silo["GatewayPort"] is { } port)
        {
            if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and < 65536) o.Gateways.Add("127.0.0.1:" + p.ToString(CultureInfo.InvariantCulture));
            else problems.Add($"Silo:GatewayPort: '{port}' is not a port (1-65535).");
        }
        var tls = client.GetSection(nameof(Tls));
        o.Tls = new TlsSettings
        {
            CertificatePath = tls[nameof(TlsSettings.CertificatePath)],
            CertificatePassword = tls[nameof(TlsSettings.CertificatePassword)],
            KeyPath = tls[nameof(TlsSettings.KeyPath)],
            TrustedCaPath = tls[nameof(TlsSettings.TrustedCaPath)],
        };
        o.ConnectTimeout = Duration(client, nameof(ConnectTimeout), o.ConnectTimeout, problems);
        o.ResponseTimeout = Duration(client, nameof(ResponseTimeout), o.ResponseTimeout, problems);
        o.RenewInterval = Duration(client, nameof(RenewInterval), o.RenewInterval, problems);
        problems.AddRange(o.Validate());
        return o;
    }

    private static TimeSpan Duration(IConfigurationSection section, string key, TimeSpan fallback, List<string> problems)
    {
        if (section[key] is not { } text) return fallback;
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value > TimeSpan.Zero) return value;
        problems.Add($"{SectionName}:{key}: '{text}' is not a positive duration (hh:mm:ss).");
        return fallback;
    }

    /// <summary>Every problem of the options, named; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ClusterId)) problems.Add($"{SectionName}:ClusterId must not be empty.");
        if (string.IsNullOrWhiteSpace(ServiceId)) problems.Add($"{SectionName}:ServiceId must not be empty.");
        if (!ClusteringKinds.All.Contains(Clustering, StringComparer.Ordinal))
            problems.Add($"{SectionName}:Clustering: '{Clustering}' is not one of {string.Join(", ", ClusteringKinds.All)}.");
        if (Clustering == ClusteringKinds.AdoNet && string.IsNullOrWhiteSpace(PostgreSqlConnectionString))
            problems.Add("ConnectionStrings:PostgreSql is required with Clustering AdoNet (the silos' membership table).");
        if (Clustering == ClusteringKinds.AzureStorage && string.IsNullOrWhiteSpace(AzureStorageConnectionString))
            problems.Add("ConnectionStrings:AzureStorage is required with Clustering AzureStorage (the silos' membership table).");
        if (Clustering == ClusteringKinds.Localhost)
        foreach (var g in EffectiveGateways)
            if (!GatewayEndpoint.TryParse(g, out _))
                problems.Add($"{SectionName}:Gateways: '{g}' is not host:port (for example 127.0.0.1:30000).");
        if (RenewInterval >= Grains.Interfaces.Watching.WatchLimits.Expiry)
            problems.Add($"{SectionName}:RenewInterval must be below {Grains.Interfaces.Watching.WatchLimits.Expiry} (the grains drop watches not renewed within it).");
        if (ApiKey is { } key && (key.Length is < 23 or > 128 || !key.StartsWith("imv_", StringComparison.Ordinal)))
            problems.Add($"{SectionName}:ApiKey is not an Imv API key (imv_<key id>_<secret>, as POST /api/keys answers it).");
        if (ConnectTimeout <= TimeSpan.Zero) problems.Add($"{SectionName}:ConnectTimeout must be positive.");
        if (ResponseTimeout <= TimeSpan.Zero) problems.Add($"{SectionName}:ResponseTimeout must be positive.");
        problems.AddRange(Tls.Validate(SectionName + ":" + nameof(Tls)));
        return problems;
    }
}
