using Imv.Client.Connection;
namespace Imv.Silo.Hosting;

/// <summary>Checks the <c>Silo</c> section as a whole: every bad value and every unknown key is reported, each
/// naming its key, so a user fixes them all in one go.</summary>
public static class SiloSettingsValidator
{
    /// <summary>Keys of the section that belong to other settings (the summary, SQLite tuning).</summary>
    private static readonly string[] Subsections = ["Console", "Sqlite", "Membership", "Database", "Tls"];

    /// <summary>Binds the section, collecting unknown keys, values of the wrong type and rule violations.</summary>
    public static SiloSettings Bind(IConfiguration configuration, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(problems);
        var settings = new SiloSettings();
        var section = configuration.GetSection(SiloSettings.SectionName);
        SectionBinder.Bind(section, settings, problems, Subsections);
        SectionBinder.Bind(configuration.GetSection(MembershipSettings.SectionName), settings.Membership, problems);
        SectionBinder.Bind(configuration.GetSection(DatabaseSettings.SectionName), settings.Database, problems);
        SectionBinder.Bind(section.GetSection("Tls"), settings.Tls, problems);
        // Silo:DefaultStorage (earlier versions) still sets storage and reminders when the newer keys are not given.
        if (settings.DefaultStorage is { } legacy)
        {
            if (section[nameof(SiloSettings.Storage)] is null) settings.Storage = legacy;
            else if (!string.Equals(section[nameof(SiloSettings.Storage)], legacy, StringComparison.Ordinal))
                problems.Add($"{SiloSettings.SectionName}:{nameof(SiloSettings.DefaultStorage)} = '{legacy}' contradicts {SiloSettings.SectionName}:{nameof(SiloSettings.Storage)} = '{settings.Storage}': " +
                    "DefaultStorage is the older name of Storage (and Reminders); keep only Storage");
            if (section[nameof(SiloSettings.Reminders)] is null) settings.Reminders = legacy;
        }
        settings.Reminders ??= settings.Storage;
        settings.PostgreSqlConnectionString = NullIfEmpty(configuration.GetConnectionString(DatabaseSettings.ConnectionStringName));
        settings.AzureStorageConnectionString = NullIfEmpty(configuration.GetConnectionString(AzureStorageConnectionStringName));
        Validate(settings, problems);
        foreach (var problem in settings.Tls.Validate(SiloSettings.SectionName + ":Tls")) problems.Add(problem);
        return settings;
    }

    /// <summary>Adds a line per rule <paramref name="settings"/> breaks.</summary>
    public static void Validate(SiloSettings settings, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(problems);
        void Check(bool ok, string name, object value, string rule)
        {
            if (!ok) problems.Add($"{SiloSettings.SectionName}:{name} = '{value}': {rule}");
        }
        Check(!string.IsNullOrWhiteSpace(settings.Name) && !settings.Name.Contains('/', StringComparison.Ordinal), nameof(settings.Name), settings.Name, "must be non-empty without '/'");
        Check(IsId(settings.ClusterId), nameof(settings.ClusterId), settings.ClusterId, "must be letters, digits, '-', '_' or '.'");
        Check(IsId(settings.ServiceId), nameof(settings.ServiceId), settings.ServiceId, "must be letters, digits, '-', '_' or '.'");
        Check(settings.SiloPort is > 0 and <= 65535, nameof(settings.SiloPort), settings.SiloPort, "must be a port between 1 and 65535");
        Check(settings.GatewayPort is > 0 and <= 65535, nameof(settings.GatewayPort), settings.GatewayPort, "must be a port between 1 and 65535");
        Check(settings.SiloPort != settings.GatewayPort, nameof(settings.GatewayPort), settings.GatewayPort, "must differ from Silo:SiloPort");
        Check(settings.DefaultCallTimeout > TimeSpan.Zero, nameof(settings.DefaultCallTimeout), settings.DefaultCallTimeout, "must be positive");
        Check(settings.CollectionAge >= TimeSpan.FromMinutes(1), nameof(settings.CollectionAge), settings.CollectionAge, "must be at least 00:01:00 (Orleans' minimum)");
        Check(settings.CollectionQuantum > TimeSpan.Zero && settings.CollectionQuantum <= settings.CollectionAge, nameof(settings.CollectionQuantum), settings.CollectionQuantum, "must be positive and at most Silo:CollectionAge");
        Check(settings.DeactivationTimeout > TimeSpan.Zero, nameof(settings.DeactivationTimeout), settings.DeactivationTimeout, "must be positive");
        Check(settings.MemoryPressurePercent is >= 0 and <= 100, nameof(settings.MemoryPressurePercent), settings.MemoryPressurePercent, "must be 0 (off) or between 1 and 100");
        Check(settings.MinimumReminderPeriod >= TimeSpan.FromSeconds(1), nameof(settings.MinimumReminderPeriod), settings.MinimumReminderPeriod, "must be at least 00:00:01");
        Check(settings.DirectoryCacheSize >= 0, nameof(settings.DirectoryCacheSize), settings.DirectoryCacheSize, "must be 0 (no cache) or positive");
        if (settings.DefaultStorage is not null)
            Check(settings.DefaultStorage is StorageKinds.Sqlite or StorageKinds.Memory, nameof(settings.DefaultStorage), settings.DefaultStorage, "must be Sqlite or Memory (the older name of Silo:Storage and Silo:Reminders)");
        Check(ClusteringKinds.All.Contains(settings.Clustering), nameof(settings.Clustering), settings.Clustering, "must be " + string.Join(", ", ClusteringKinds.All));
        Check(StorageKinds.All.Contains(settings.Storage), nameof(settings.Storage), settings.Storage, "must be " + string.Join(", ", StorageKinds.All));
        Check(settings.Reminders is not null && StorageKinds.All.Contains(settings.Reminders), nameof(settings.Reminders), settings.Reminders ?? "", "must be " + string.Join(", ", StorageKinds.All));
        if (settings.IsClustered)
        {
            // Every silo of a cluster must see the same state and reminders: one silo's file or memory cannot be shared.
            string why = $"silos sharing a membership table (Silo:Clustering = '{settings.Clustering}') need shared storage: use AdoNet or AzureStorage";
            Check(settings.Storage is not (StorageKinds.Sqlite or StorageKinds.Memory), nameof(settings.Storage), settings.Storage, why);
            Check(settings.Reminders is not (StorageKinds.Sqlite or StorageKinds.Memory), nameof(settings.Reminders), settings.Reminders ?? "", why);
        }
        if (settings.Uses(StorageKinds.AdoNet)) CheckPostgreSql(settings.PostgreSqlConnectionString, problems);
        if (settings.Uses(StorageKinds.AzureStorage) && settings.AzureStorageConnectionString is null)
            problems.Add($"ConnectionStrings:{AzureStorageConnectionStringName}: missing; an AzureStorage engine is selected (Silo:Clustering, Silo:Storage or Silo:Reminders)");
        if (settings.AdvertisedAddress is not null)
            Check(System.Net.IPAddress.TryParse(settings.AdvertisedAddress, out _), nameof(settings.AdvertisedAddress), settings.AdvertisedAddress, "must be an IP address (the address peers and clients reach this silo at)");
        var m = settings.Membership;
        void CheckMembership(bool ok, string name, object value, string rule)
        {
            if (!ok) problems.Add($"{MembershipSettings.SectionName}:{name} = '{value}': {rule}");
        }
        CheckMembership(m.ProbeTimeout > TimeSpan.Zero, nameof(m.ProbeTimeout), m.ProbeTimeout, "must be positive");
        CheckMembership(m.NumMissedProbesLimit >= 1, nameof(m.NumMissedProbesLimit), m.NumMissedProbesLimit, "must be at least 1");
        CheckMembership(m.NumVotesForDeathDeclaration >= 1, nameof(m.NumVotesForDeathDeclaration), m.NumVotesForDeathDeclaration, "must be at least 1");
        CheckMembership(m.IAmAliveTablePublishTimeout > TimeSpan.Zero, nameof(m.IAmAliveTablePublishTimeout), m.IAmAliveTablePublishTimeout, "must be positive");
        if (settings.Database.MaxRetryDelay <= TimeSpan.Zero)
            problems.Add($"{DatabaseSettings.SectionName}:{nameof(DatabaseSettings.MaxRetryDelay)} = '{settings.Database.MaxRetryDelay}': must be positive");
        if (settings.Uses(StorageKinds.Sqlite)) CheckSqlitePath(settings.SqlitePath, problems);
    }

    /// <summary>The connection string's name under <c>ConnectionStrings</c> for Azure Table storage.</summary>
    public const string AzureStorageConnectionStringName = "AzureStorage";

    private static void CheckPostgreSql(string? connectionString, ICollection<string> problems)
    {
        const string key = "ConnectionStrings:" + DatabaseSettings.ConnectionStringName;
        if (connectionString is null)
        {
            problems.Add($"{key}: missing; an AdoNet engine (PostgreSQL) is selected (Silo:Clustering, Silo:Storage or Silo:Reminders). " +
                "Example: Host=127.0.0.1;Port=5432;Database=imv;Username=imv;Password=... (keep it out of committed files: IMV_ConnectionStrings__PostgreSql)");
            return;
        }
        try
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrWhiteSpace(builder.Host)) problems.Add($"{key}: names no Host");
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            // The message names the bad keyword; the connection string itself may hold a password: not repeated.
            problems.Add($"{key}: not a valid PostgreSQL connection string ({e.Message})");
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static void CheckSqlitePath(string path, ICollection<string> problems)
    {
        const string key = SiloSettings.SectionName + ":" + nameof(SiloSettings.SqlitePath);
        if (string.IsNullOrWhiteSpace(path))
        {
            problems.Add($"{key} = '{path}': must name a file");
            return;
        }
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            problems.Add($"{key} = '{path}': not a valid path ({e.Message})");
            return;
        }
        if (System.IO.Directory.Exists(full)) { problems.Add($"{key} = '{path}': is a directory, not a file"); return; }
        // The nearest existing ancestor must be a writable directory (the silo creates the rest).
        var dir = Path.GetDirectoryName(full);
        while (!string.IsNullOrEmpty(dir) && !System.IO.Directory.Exists(dir))
        {
            if (File.Exists(dir)) { problems.Add($"{key} = '{path}': '{dir}' is a file, not a directory"); return; }
            dir = Path.GetDirectoryName(dir);
        }
        if (string.IsNullOrEmpty(dir)) return;
        try
        {
            var probe = Path.Combine(dir, $".imv-write-probe-{Environment.ProcessId}");
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            problems.Add($"{key} = '{path}': directory '{dir}' is not writable ({e.Message})");
        }
    }

    private static bool IsId(string value) =>
        !string.IsNullOrEmpty(value) && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

}
