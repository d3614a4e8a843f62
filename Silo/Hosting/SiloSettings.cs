using Imv.Client.Connection;
namespace Imv.Silo.Hosting;

/// <summary>The Orleans silo of the main job, bound from the configuration section <see cref="SectionName"/>.
/// Every value is checked by <see cref="SiloSettingsValidator"/> before anything opens.</summary>
public sealed class SiloSettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Silo";

    /// <summary>The silo's name in the cluster and in logs. Default "silo-" and the machine name.</summary>
    public string Name { get; set; } = "silo-" + Environment.MachineName.ToLowerInvariant();

    /// <summary>Orleans' cluster id: silos and clients with the same id form one cluster. Default "imv".</summary>
    public string ClusterId { get; set; } = "imv";

    /// <summary>Orleans' service id: grain state and reminders are keyed by it, so it stays the same across
    /// deployments of one grid. Default "imv".</summary>
    public string ServiceId { get; set; } = "imv";

    /// <summary>The port silos talk to each other on (loopback only with localhost clustering). Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The port Orleans clients (the SDK) connect to. Default 30000.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>How long a grain call may take before the caller gets a TimeoutException (HTTP 504). Default 30 s.</summary>
    public TimeSpan DefaultCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Activations idle longer than this are deactivated (Orleans' GrainCollectionOptions.CollectionAge). Default 15 min.</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for (GrainCollectionOptions.CollectionQuantum). Default 1 min.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a deactivation may take, state write included. Default 30 s.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Memory load (percent) above which Orleans sheds the least recently used activations
    /// (GrainCollectionOptions.MemoryUsageLimitPercentage with activation shedding on); 0 switches shedding off. Default 90.</summary>
    public int MemoryPressurePercent { get; set; } = 90;

    /// <summary>The shortest reminder period grains may ask for (Orleans' ReminderOptions.MinimumReminderPeriod,
    /// whose own default is 1 min). Control loops keep themselves alive with a reminder of 5 s to 1 min. Default 5 s.</summary>
    public TimeSpan MinimumReminderPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How many grain addresses the silo's directory cache keeps (Orleans' GrainDirectoryOptions.CacheSize,
    /// whose own default is 1,000,000). The cache saves a directory look-up for grains called often; each entry costs
    /// about 600 bytes, which at Orleans' default is most of an idle twin's memory. Default 10,000.</summary>
    public int DirectoryCacheSize { get; set; } = 10_000;

    /// <summary>How silos find each other: "Localhost" (default: one silo, nothing shared), "AdoNet" (a membership
    /// table in PostgreSQL, <c>ConnectionStrings:PostgreSql</c>) or "AzureStorage" (Azure Table storage,
    /// <c>ConnectionStrings:AzureStorage</c>).</summary>
    public string Clustering { get; set; } = ClusteringKinds.Localhost;

    /// <summary>Where grain state lives: "Sqlite" (default: one file, one silo), "AdoNet" (PostgreSQL), "AzureStorage"
    /// (Azure Table storage) or "Memory" (nothing survives a restart).</summary>
    public string Storage { get; set; } = StorageKinds.Sqlite;

    /// <summary>Where reminders live: the same choices as <see cref="Storage"/>; default: the same as <see cref="Storage"/>.</summary>
    public string? Reminders { get; set; }

    /// <summary>The key of earlier versions: sets both <see cref="Storage"/> and <see cref="Reminders"/> when they are not
    /// given ("Sqlite" or "Memory"). Kept so that existing configurations keep working.</summary>
    public string? DefaultStorage { get; set; }

    /// <summary>The IP address this silo tells its peers and clients to reach it at. Default: 127.0.0.1 with Localhost
    /// clustering; with a shared membership table, the first IPv4 address of an up, non-loopback interface (or
    /// 127.0.0.1 when there is none: every silo on one machine).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>Whether the silo and gateway ports listen on every interface (0.0.0.0) rather than only on
    /// <see cref="AdvertisedAddress"/>. Default false.</summary>
    public bool ListenOnAnyAddress { get; set; }

    /// <summary>The SQLite file for grain state and reminders. Default "data/imv.db" under the working directory.</summary>
    public string SqlitePath { get; set; } = Path.Combine("data", "imv.db");

    /// <summary>Membership timing with a shared membership table (<c>Silo:Membership</c>).</summary>
    public MembershipSettings Membership { get; } = new();

    /// <summary>Mutual TLS between silos and from clients (section <c>Silo:Tls</c>); its certificate also serves
    /// the HTTPS API. Off when no certificate is configured.</summary>
    public TlsSettings Tls { get; } = new();

    /// <summary>The PostgreSQL database of AdoNet engines (<c>Silo:Database</c>).</summary>
    public DatabaseSettings Database { get; } = new();

    /// <summary>The PostgreSQL connection string (<c>ConnectionStrings:PostgreSql</c>); null when not configured.</summary>
    public string? PostgreSqlConnectionString { get; internal set; }

    /// <summary>The Azure Storage connection string (<c>ConnectionStrings:AzureStorage</c>); null when not configured.</summary>
    public string? AzureStorageConnectionString { get; internal set; }

    /// <summary>True when silos share a membership table (more than one silo may run).</summary>
    public bool IsClustered => Clustering != ClusteringKinds.Localhost;

    /// <summary>Whether any engine is <paramref name="kind"/>.</summary>
    public bool Uses(string kind) => Clustering == kind || Storage == kind || Reminders == kind;

    /// <summary>The Orleans Dashboard on the HTTP host at /dashboard. Default true.</summary>
    public bool Dashboard { get; set; } = true;
}
