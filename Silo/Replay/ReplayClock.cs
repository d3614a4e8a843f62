namespace Imv.Silo.Replay;

/// <summary>The sandbox grid's clock: inside a call the replay makes, "now" is the recorded instant the call carries
/// (the Orleans request context key <see cref="Key"/>, which flows into every call the grain makes in turn: a loop's
/// command to its twin runs at the loop's instant). Twins' staleness, OEE windows, alarm and command timestamps and
/// loops' integrals thus follow recorded time, never the wall clock: what makes two replays give the same result.
/// Outside such a call (timers) it is the system clock. Registered for the grains only (<see cref="Imv.Grains.Time.GrainClock"/>):
/// Orleans' runtime reads its clock inside the same calls.</summary>
public sealed class ReplayClock : TimeProvider
{
    /// <summary>The request context key carrying the recorded instant (UTC ticks).</summary>
    public const string Key = "imv.replay.at";

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() =>
        Orleans.Runtime.RequestContext.Get(Key) is long ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : System.GetUtcNow();

    /// <summary>Runs <paramref name="call"/> with "now" at <paramref name="at"/> for the grains it reaches.</summary>
    public static async Task<T> AtAsync<T>(DateTimeOffset at, Func<Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        Orleans.Runtime.RequestContext.Set(Key, at.UtcTicks);
        try { return await call().ConfigureAwait(false); }
        finally { Orleans.Runtime.RequestContext.Remove(Key); }
    }

    /// <summary>Runs <paramref name="call"/> with "now" at <paramref name="at"/> for the grains it reaches.</summary>
    public static async Task AtAsync(DateTimeOffset at, Func<Task> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        Orleans.Runtime.RequestContext.Set(Key, at.UtcTicks);
        try { await call().ConfigureAwait(false); }
        finally { Orleans.Runtime.RequestContext.Remove(Key); }
    }
}
