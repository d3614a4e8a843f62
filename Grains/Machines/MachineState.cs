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

/// <summary>The persisted configuration and tag metadata of a machine twin, written only when they change
/// (and before <see cref="MachineState"/>, so the tag arrays never outgrow the metadata that names them).</summary>
[GenerateSerializer]
public sealed class MachineSchemaState
{
    /// <summary>The configuration (its Tags list is kept empty here).</summary>
    [Id(0)] public TwinConfiguration? Configuration { get; set; }

    /// <summary>The tags' metadata, in tag-table order (tags are only ever appended).</summary>
    [Id(1)] public TagMetadata[] Tags { get; set; } = [];
}

/// <summary>The persisted commands, lease and alarm events of a machine twin: kept apart from
/// <see cref="MachineState"/> so that an ingest batch writes only the tags, not hundreds of command records.</summary>
[GenerateSerializer]
public sealed class MachineLogState
{
    /// <summary>How many alarm events are kept.</summary>
    public const int AlarmHistoryLength = 100;

    [NonSerialized]
    private CommandBook? _commands;
    [NonSerialized]
    private OperatorLeaseBook? _lease;
    [NonSerialized]
    private List<AlarmEvent>? _alarmHistory;

    /// <summary>Pending and recent commands (created on first use: most twins are never commanded).</summary>
    [Id(0)] public CommandBook Commands { get => _commands ??= new(); set => _commands = value; }

    /// <summary>The operator lease (created on first use).</summary>
    [Id(1)] public OperatorLeaseBook Lease { get => _lease ??= new(); set => _lease = value; }

    /// <summary>True when a command is pending (without creating the book).</summary>
    public bool HasPendingCommands => _commands is not null && _commands.PendingCount > 0;

    /// <summary>The latest alarm events, oldest first (created on first use).</summary>
    [Id(2)] public List<AlarmEvent> AlarmHistory { get => _alarmHistory ??= []; set => _alarmHistory = value; }
}

/// <summary>Replaces how a twin pushes its <see cref="MachineStatus"/> to its parent organization. Without a
/// registered implementation the twin calls <c>IVirtualOrganizationGrain.ReportChildStatusAsync</c> itself;
/// tests and special deployments (e.g. batching status reports) register one.</summary>
public interface IMachineStatusPublisher
{
    /// <summary>Reports a child twin's status to an organization.</summary>
    Task PublishAsync(IGrainFactory grainFactory, string organizationId, MachineStatus status);
}
