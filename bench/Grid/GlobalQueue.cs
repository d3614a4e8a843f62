namespace Imv.Bench.Grid;

/// <summary>A hop through the thread pool's global queue for the bench's closed loops of grain calls. A worker takes
/// its local queue first and an awaited call's continuation is queued locally, so a thousand loops that only await
/// grain calls never let the global queue run: the runtime's timers wait there (Orleans' membership heartbeat,
/// response timeouts), and every call then times out after 30 s. docs/orleans.md, "Host code that calls grains in a
/// loop".</summary>
internal static class GlobalQueue
{
    /// <summary>Continues after the work queued globally before it.</summary>
    public static Task YieldAsync() =>
        Task.Factory.StartNew(static () => { }, CancellationToken.None, TaskCreationOptions.PreferFairness, TaskScheduler.Default);
}
