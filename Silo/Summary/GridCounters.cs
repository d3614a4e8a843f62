using Imv.Grains.Interfaces.Commands;

namespace Imv.Silo.Summary;

/// <summary>Counters of the main job kept by the silo (the grains keep their own): commands confirmed or
/// refused by the plant, and commands submitted through the HTTP API.</summary>
public sealed class GridCounters
{
    private long _applied, _rejected, _submitted;

    /// <summary>Commands the plant confirmed as applied since start.</summary>
    public long CommandsApplied => Interlocked.Read(ref _applied);

    /// <summary>Commands refused (by a twin's checks or by the plant) since start.</summary>
    public long CommandsRejected => Interlocked.Read(ref _rejected);

    /// <summary>Commands submitted through the HTTP API since start.</summary>
    public long CommandsSubmitted => Interlocked.Read(ref _submitted);

    /// <summary>Counts a command outcome reported by a gateway, or the immediate outcome of a submission.</summary>
    public void CommandOutcome(CommandDeliveryStatus status)
    {
        if (status == CommandDeliveryStatus.Applied) Interlocked.Increment(ref _applied);
        else if (status == CommandDeliveryStatus.Rejected) Interlocked.Increment(ref _rejected);
    }

    /// <summary>Counts a command submitted through the API.</summary>
    public void CommandSubmitted() => Interlocked.Increment(ref _submitted);
}
