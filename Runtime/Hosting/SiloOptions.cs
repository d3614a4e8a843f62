namespace Imv.Runtime.Hosting;

/// <summary>Settings of one silo, bound from the configuration section "Silo". Every value is checked at
/// start-up; a bad one fails the start with the option's name and value.</summary>
public sealed class SiloOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Silo";

    /// <summary>The silo's name, unique in the cluster. Default: "silo-" and the machine name.</summary>
    public string Name { get; set; } = "silo-" + Environment.MachineName.ToLowerInvariant();

    /// <summary>How long a call may take before the caller gets a TimeoutException. Default 30 s.</summary>
    public TimeSpan DefaultCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Activations idle longer than this are deactivated. Default 15 min.</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for. Default 1 min.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most activations this silo keeps; beyond it the least recently used are deactivated. 0: no limit.</summary>
    public int MaxActivations { get; set; }

    /// <summary>Memory load (percent of the GC's available memory) above which the least recently used
    /// tenth of the activations is deactivated. Default 90.</summary>
    public int MemoryPressurePercent { get; set; } = 90;

    /// <summary>How long a deactivation waits for running calls. Default 30 s.</summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Number of partitions of the grain id space; every silo of a cluster must agree. Default 4096.</summary>
    public int PartitionCount { get; set; } = 4096;

    /// <summary>Default storage provider: "Sqlite" (default) or "Memory".</summary>
    public string DefaultStorage { get; set; } = "Sqlite";

    /// <summary>The SQLite file for grain state and reminders. Default "data/imv.db" under the working directory.</summary>
    public string SqlitePath { get; set; } = Path.Combine("data", "imv.db");

    /// <summary>Checks every value; throws naming the first bad one.</summary>
    public void Validate()
    {
        static void Fail(string name, object value, string rule) =>
            throw new ArgumentException($"Invalid silo option {SectionName}:{name} = '{value}': {rule}.");
        if (string.IsNullOrWhiteSpace(Name) || Name.Contains('/')) Fail(nameof(Name), Name, "must be non-empty without '/'");
        if (DefaultCallTimeout <= TimeSpan.Zero) Fail(nameof(DefaultCallTimeout), DefaultCallTimeout, "must be positive");
        if (CollectionAge <= TimeSpan.Zero) Fail(nameof(CollectionAge), CollectionAge, "must be positive");
        if (CollectionQuantum <= TimeSpan.Zero) Fail(nameof(CollectionQuantum), CollectionQuantum, "must be positive");
        if (MaxActivations < 0) Fail(nameof(MaxActivations), MaxActivations, "must be 0 (no limit) or positive");
        if (MemoryPressurePercent is < 1 or > 100) Fail(nameof(MemoryPressurePercent), MemoryPressurePercent, "must be between 1 and 100");
        if (DeactivationTimeout <= TimeSpan.Zero) Fail(nameof(DeactivationTimeout), DeactivationTimeout, "must be positive");
        if (PartitionCount is < 1 or > 65536) Fail(nameof(PartitionCount), PartitionCount, "must be between 1 and 65536");
        if (DefaultStorage is not ("Sqlite" or "Memory")) Fail(nameof(DefaultStorage), DefaultStorage, "must be Sqlite or Memory");
        if (DefaultStorage == "Sqlite" && string.IsNullOrWhiteSpace(SqlitePath)) Fail(nameof(SqlitePath), SqlitePath, "must name a file");
    }
}
