using Imv.Grains.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Machines;

/// <summary>The hot persisted state of a machine twin, written with every ingest batch: tag values, shadow,
/// status accumulators, connectivity. The tag names and metadata are in <see cref="MachineSchemaState"/>.</summary>
[GenerateSerializer]
public sealed class MachineState
{
    /// <summary>The tags.</summary>
    [Id(1)] public TagTable Tags { get; set; } = new();

    /// <summary>The desired side of the shadow.</summary>
    [Id(2)] public ShadowState Shadow { get; set; } = new();

    /// <summary>Run state and OEE accumulators.</summary>
    [Id(3)] public StatusTracker Status { get; set; } = new();

    /// <summary>Whether the device can be reached.</summary>
    [Id(6)] public TwinConnectivity Connectivity { get; set; }
}

/// <summary>The persisted configuration, tag metadata, commands, lease and alarm events of a machine twin: what
/// changes rarely next to telemetry, written only when it changes (and before <see cref="MachineState"/>, so the
/// tag arrays never outgrow the metadata that names them). One state rather than two keeps an idle twin small
/// (each persistent state costs its activation about 200 bytes); an ingest batch still writes only the tags.</summary>
[GenerateSerializer]
public sealed class MachineSchemaState
{
    /// <summary>How many alarm events are kept.</summary>
    public const int AlarmHistoryLength = 100;

    // The fields, not the properties, are serialized: reading a property creates its object, so serializing the
    // properties gave every twin an empty book, lease and history (128 bytes each, on every idle twin).
    [Id(2)] private CommandBook? _commands;
    [Id(3)] private OperatorLeaseBook? _lease;
    [Id(4)] private List<AlarmEvent>? _alarmHistory;

    /// <summary>The configuration (its Tags list is kept empty here).</summary>
    [Id(0)] public TwinConfiguration? Configuration { get; set; }

    /// <summary>The tags' metadata, in tag-table order (tags are only ever appended).</summary>
    [Id(1)] public TagMetadata[] Tags { get; set; } = [];

    /// <summary>Pending and recent commands (created on first use: most twins are never commanded).</summary>
    public CommandBook Commands { get => _commands ??= new(); set => _commands = value; }

    /// <summary>The operator lease (created on first use).</summary>
    public OperatorLeaseBook Lease { get => _lease ??= new(); set => _lease = value; }

    /// <summary>The latest alarm events, oldest first (created on first use).</summary>
    public List<AlarmEvent> AlarmHistory { get => _alarmHistory ??= []; set => _alarmHistory = value; }

    /// <summary>True once the commands, lease and alarm events of the earlier layout (the state "machine-log",
    /// <see cref="MachineLogState"/>) were merged into this one, or there were none.</summary>
    [Id(5)] public bool LogMerged { get; set; }

    /// <summary>The twin status index shard that acknowledged this twin's entry (<see cref="Imv.Grains.Interfaces.TwinIndex.TwinStatusIndex.ShardKey"/>);
    /// null before the first registration. When the organization changes, the twin registers in the new shard and
    /// leaves this one.</summary>
    [Id(6)] public string? IndexKey { get; set; }

    /// <summary>True when a command is pending (without creating the book).</summary>
    public bool HasPendingCommands => _commands is not null && _commands.PendingCount > 0;

    /// <summary>Takes the commands, lease and alarm events of the earlier layout.</summary>
    public void Merge(MachineLogState legacy)
    {
        ArgumentNullException.ThrowIfNull(legacy);
        Commands = legacy.Commands;
        Lease = legacy.Lease;
        AlarmHistory = legacy.AlarmHistory;
        LogMerged = true;
    }
}

/// <summary>The commands, lease and alarm events of a machine twin as an earlier layout stored them, in a state of
/// their own ("machine-log"). Read once, when such a twin activates, merged into <see cref="MachineSchemaState"/>,
/// and cleared.</summary>
[GenerateSerializer]
public sealed class MachineLogState
{
    [Id(0)] private CommandBook? _commands;
    [Id(1)] private OperatorLeaseBook? _lease;
    [Id(2)] private List<AlarmEvent>? _alarmHistory;

    /// <summary>Pending and recent commands (created on first use: most twins are never commanded).</summary>
    public CommandBook Commands { get => _commands ??= new(); set => _commands = value; }

    /// <summary>The operator lease (created on first use).</summary>
    public OperatorLeaseBook Lease { get => _lease ??= new(); set => _lease = value; }

    /// <summary>True when a command is pending (without creating the book).</summary>
    public bool HasPendingCommands => _commands is not null && _commands.PendingCount > 0;

    /// <summary>The latest alarm events, oldest first (created on first use).</summary>
    public List<AlarmEvent> AlarmHistory { get => _alarmHistory ??= []; set => _alarmHistory = value; }
}

/// <summary>Replaces how a twin pushes its <see cref="MachineStatus"/> to its parent organization. Without a
/// registered implementation the twin calls <c>IVirtualOrganizationGrain.ReportChildStatusAsync</c> itself;
/// tests and special deployments (e.g. batching status reports) register one.</summary>
public interface IMachineStatusPublisher
{
    /// <summary>Reports a child twin's status to an organization.</summary>
    Task PublishAsync(IGrainFactory grainFactory, string organizationId, MachineStatus status);
}
