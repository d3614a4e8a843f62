using Microsoft.Extensions.Logging;

namespace Imv.Runtime.Diagnostics;

/// <summary>The runtime's structured log events; every one names the grain id so one grain can be followed.</summary>
internal sealed partial class RuntimeLog(ILogger logger)
{
    [LoggerMessage(1, LogLevel.Debug, "Grain {GrainId} activated")]
    public partial void Activated(GrainId grainId);

    [LoggerMessage(2, LogLevel.Error, "Activation of grain {GrainId} failed")]
    public partial void ActivationFailed(Exception exception, GrainId grainId);

    [LoggerMessage(3, LogLevel.Warning, "Deactivation of grain {GrainId} timed out waiting for running calls")]
    public partial void DeactivationTimedOut(GrainId grainId);

    [LoggerMessage(4, LogLevel.Error, "OnDeactivateAsync of grain {GrainId} failed")]
    public partial void DeactivationFailed(Exception exception, GrainId grainId);

    [LoggerMessage(5, LogLevel.Information, "Silo {Silo} started: {PartitionCount} partitions, storage {Storage}")]
    public partial void SiloStarted(string silo, int partitionCount, string storage);

    [LoggerMessage(6, LogLevel.Information, "Silo {Silo} stopped after deactivating {Count} grains")]
    public partial void SiloStopped(string silo, int count);

    [LoggerMessage(7, LogLevel.Warning, "Message for silo {Silo} dropped: unreachable ({Method} to {GrainId})")]
    public partial void SiloUnreachable(string silo, string method, GrainId grainId);

    [LoggerMessage(8, LogLevel.Error, "Malformed message from the transport dropped")]
    public partial void MalformedMessage(Exception exception);

    [LoggerMessage(9, LogLevel.Error, "Timer tick of grain {GrainId} failed")]
    public partial void TimerFailed(Exception exception, GrainId grainId);

    [LoggerMessage(10, LogLevel.Information, "Collected {Count} activations ({Reason})")]
    public partial void Collected(int count, string reason);

    [LoggerMessage(11, LogLevel.Error, "Reminder {ReminderName} of grain {GrainId} failed")]
    public partial void ReminderFailed(Exception exception, GrainId grainId, string reminderName);
}
