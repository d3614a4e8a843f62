namespace Imv.Silo.Replay;

/// <summary>How far a replay got, updated as it runs (read from any thread).</summary>
public sealed class ReplayProgress
{
    private long _replayedUntilTicks, _entries, _readings, _loopSteps;

    /// <summary>Everything recorded before this instant has been fed to the sandbox.</summary>
    public DateTimeOffset ReplayedUntil => new(Interlocked.Read(ref _replayedUntilTicks), TimeSpan.Zero);

    /// <summary>Recorded entries fed.</summary>
    public long Entries => Interlocked.Read(ref _entries);

    /// <summary>Readings fed.</summary>
    public long Readings => Interlocked.Read(ref _readings);

    /// <summary>Control loop iterations run.</summary>
    public long LoopSteps => Interlocked.Read(ref _loopSteps);

    internal void Reached(DateTimeOffset until) => Interlocked.Exchange(ref _replayedUntilTicks, until.UtcTicks);

    internal void Fed(long entries, long readings)
    {
        Interlocked.Add(ref _entries, entries);
        Interlocked.Add(ref _readings, readings);
    }

    internal void Stepped() => Interlocked.Increment(ref _loopSteps);
}
