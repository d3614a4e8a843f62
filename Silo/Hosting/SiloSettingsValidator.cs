namespace Imv.Silo.Hosting;

/// <summary>Checks the <c>Silo</c> section as a whole: every bad value and every unknown key is reported, each
/// naming its key, so a user fixes them all in one go.</summary>
public static class SiloSettingsValidator
{
    /// <summary>Keys of the section that belong to other settings (the summary, SQLite tuning).</summary>
    private static readonly string[] Subsections = ["Console", "Sqlite"];

    /// <summary>Binds the section, collecting unknown keys, values of the wrong type and rule violations.</summary>
    public static SiloSettings Bind(IConfiguration configuration, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(problems);
        var settings = new SiloSettings();
        SectionBinder.Bind(configuration.GetSection(SiloSettings.SectionName), settings, problems, Subsections);
        Validate(settings, problems);
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
        Check(settings.DefaultStorage is "Sqlite" or "Memory", nameof(settings.DefaultStorage), settings.DefaultStorage, "must be Sqlite or Memory");
        if (settings.DefaultStorage == "Sqlite") CheckSqlitePath(settings.SqlitePath, problems);
    }

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
