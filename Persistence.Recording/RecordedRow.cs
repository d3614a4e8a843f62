namespace Imv.Persistence.Recording;

/// <summary>One row of the recording as stored, not decoded yet (<see cref="IReplayRecording.ReadRows"/>): a replay reads
/// rows on one thread and decodes them on many (<see cref="IReplayRecording.Decode"/>).</summary>
/// <param name="Position">The entry's position.</param>
/// <param name="TwinId">The twin.</param>
/// <param name="AtTicks">When the twin accepted it (UTC ticks).</param>
/// <param name="Kind">Readings or a command transition.</param>
/// <param name="Data">The encoded entry.</param>
public sealed record RecordedRow(long Position, string TwinId, long AtTicks, int Kind, byte[] Data)
{
    /// <summary>When the twin accepted it.</summary>
    public DateTimeOffset At => new(AtTicks, TimeSpan.Zero);
}
