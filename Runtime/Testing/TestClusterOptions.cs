using Imv.Runtime.Hosting;
using Imv.Runtime.Reminders;
using Imv.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Imv.Runtime.Testing;

/// <summary>How a <see cref="TestCluster"/> is set up.</summary>
public sealed class TestClusterOptions
{
    /// <summary>Silos started at once. Default 2.</summary>
    public int InitialSilos { get; set; } = 2;

    /// <summary>Partitions of the id space (fewer make tests faster to reason about). Default 256.</summary>
    public int PartitionCount { get; set; } = 256;

    /// <summary>Adds services every silo's grains can ask for.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>Adjusts each silo's options (its name is set by the cluster).</summary>
    public Action<SiloOptions>? ConfigureSilo { get; set; }

    /// <summary>The default grain storage shared by all silos. Default: one in-memory store.</summary>
    public IGrainStorage? Storage { get; set; }

    /// <summary>Named extra storage providers shared by all silos.</summary>
    public Dictionary<string, IGrainStorage> NamedStorage { get; } = new(StringComparer.Ordinal);

    /// <summary>The reminder table shared by all silos. Default: in memory.</summary>
    public IReminderTable? ReminderTable { get; set; }

    /// <summary>Logging for the silos. Default: none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
