using Imv.Grains.Interfaces.Access;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Watching;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>The twin of one industrial virtual entity (equipment, material or product), keyed by twin id.
/// Holds the tags the plant reports, the shadow (reported, desired, delta), alarms, the operator lease and
/// the commands sent to the machine. Everything acknowledged (an ingest result, a command record, a lease)
/// is stored before the call returns.</summary>
public interface IMachineGrain : IGrainWithStringKey
{
    /// <summary>Sets up the twin (replacing the previous configuration; learned tags stay).</summary>
    [SiloOnly]
    Task ConfigureAsync(TwinConfiguration configuration);

    /// <summary>The configuration in force, including tags learned since; null when never configured nor described.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    [ReadOnly]
    Task<TwinConfiguration?> GetConfigurationAsync();

    /// <summary>A gateway described the device (birth, browse): records the gateway name and merges the tags' metadata.</summary>
    [SiloOnly]
    Task DescribeAsync(TwinDescription description);

    /// <summary>Applies a batch of readings: the newest reading per tag wins; older ones and duplicates are
    /// counted and ignored. Alarms are evaluated; pending commands awaiting read-back are confirmed.</summary>
    [SiloOnly]
    ValueTask<IngestResult> IngestAsync(TagBatch batch);

    /// <summary>Applies readings accepted at several instants, entry by entry in order, each as
    /// <see cref="IngestAsync"/> would at the entry's instant (alarms, status and read-backs at that instant); the
    /// state is stored once, before the call returns. What a replay feeds a sandbox's twins from a recording.</summary>
    [SiloOnly]
    ValueTask<IngestResult> IngestTimedAsync(TimedBatch batch);

    /// <summary>Sets the twin's tags to a recorded state before its first reading (a replay's sandbox twin at the replay's
    /// start): values, qualities, source and receipt times as given; alarms active where the twin's bands say so at those
    /// values, without an alarm event; no reading counted nor recorded; the status window starts at
    /// <see cref="TwinSeed.At"/>. Refused (<see cref="InvalidOperationException"/>) for a twin coupled to a machine or one
    /// that already accepted a reading. Returns how many tags were seeded.</summary>
    [SiloOnly]
    Task<int> SeedAsync(TwinSeed seed);

    /// <summary>The device came online or went offline. Offline turns every tag Bad; Reconnecting turns Good tags Uncertain.</summary>
    [SiloOnly]
    Task SetConnectivityAsync(TwinConnectivity connectivity, string reason);

    /// <summary>Every tag, quality and counter as of now.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    [ReadOnly]
    Task<TwinSnapshot> GetSnapshotAsync();

    /// <summary>One tag as of now; null when the twin has no such tag.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    [ReadOnly]
    Task<TagSnapshot?> GetTagAsync(string tag);

    /// <summary>The alarms active now.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    [ReadOnly]
    Task<IReadOnlyList<ActiveAlarm>> GetActiveAlarmsAsync();

    /// <summary>The latest alarm events (raised and cleared), oldest first; bounded.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    [ReadOnly]
    Task<IReadOnlyList<AlarmEvent>> GetAlarmHistoryAsync();

    /// <summary>The shadow: reported, desired, delta and version.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    [ReadOnly]
    Task<ShadowDocument> GetShadowAsync();

    /// <summary>Changes the desired side of the shadow.</summary>
    [ClientRight(Right.Configure, TargetKind.Twin)]
    Task<ShadowUpdateResult> SetDesiredAsync(DesiredUpdate update);

    /// <summary>The machine summary organizations aggregate.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    [ReadOnly]
    Task<MachineStatus> GetStatusAsync();

    /// <summary>Starts a new OEE window: planned time, run time and counts restart from zero.</summary>
    [ClientRight(Right.Reports, TargetKind.Twin)]
    Task ResetOeeWindowAsync();

    /// <summary>Submits a command. It is checked (issuer authorization, operator lease, coupling mode,
    /// interlocks, in that order), stored, and sent through the twin's gateway. Returns the command's record as
    /// it stands when the gateway answered (Delivered, Applied or Rejected), or the first submission's record
    /// when the id is known.</summary>
    [ClientRight(Right.Command, TargetKind.Twin)]
    Task<CommandRecord> SubmitCommandAsync(CommandRequest command);

    /// <summary>A command's record; null when unknown (never submitted, or dropped from the bounded history).
    /// Not [ReadOnly]: it expires overdue commands and stores that before answering.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    Task<CommandRecord?> GetCommandAsync(string commandId);

    /// <summary>The latest commands, oldest first; bounded. Not [ReadOnly]: it expires overdue commands and
    /// stores that before answering.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    Task<IReadOnlyList<CommandRecord>> GetCommandsAsync();

    /// <summary>The device confirmed (Acked, Applied) or refused (Rejected) a command after delivery.</summary>
    [SiloOnly]
    Task ReportCommandOutcomeAsync(string commandId, CommandDeliveryStatus status, string? reason);

    /// <summary>Asks for (or renews) write control of the twin for an avatar.</summary>
    [SiloOnly]
    Task<LeaseResult> AcquireLeaseAsync(string avatarId, TimeSpan duration);

    /// <summary>Gives write control back; false when the avatar did not hold it.</summary>
    [SiloOnly]
    Task<bool> ReleaseLeaseAsync(string avatarId);

    /// <summary>Registers <paramref name="observer"/> for the twin's changes, or renews its registration (a watcher
    /// not renewed within <see cref="WatchLimits.Expiry"/> is dropped). Returns the feed's position and the twin as of it;
    /// a renewal whose epoch differs from the one the watcher knew means the twin was reactivated (changes may have
    /// been missed in between).</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    Task<TwinWatch> WatchAsync(ITwinObserver observer);

    /// <summary>Removes a watcher; nothing when it was not registered.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    Task UnwatchAsync(ITwinObserver observer);

    /// <summary>The lease in force; null when none.</summary>
    [ClientRight(Right.Read, TargetKind.Twin)]
    [ReadOnly]
    Task<OperatorLease?> GetLeaseAsync();
}
