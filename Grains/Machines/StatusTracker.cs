using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Machines;

/// <summary>Derives a twin's <see cref="MachineStatus"/> (run state and OEE inputs) from its tags, and keeps
/// the OEE window's accumulators. Time is the twin's clock (receipt time), so a replay is accounted as it was received.</summary>
[GenerateSerializer]
public sealed class StatusTracker
{
    /// <summary>When the OEE window started (UTC ticks); 0 when not yet.</summary>
    [Id(0)] public long WindowStartTicks { get; set; }

    /// <summary>Run time accumulated in the window before <see cref="RunningSinceTicks"/>.</summary>
    [Id(1)] public long RunTicks { get; set; }

    /// <summary>When the machine last started running (UTC ticks); 0 when not running.</summary>
    [Id(2)] public long RunningSinceTicks { get; set; }

    /// <summary>The total counter at the window's start.</summary>
    [Id(3)] public long TotalBase { get; set; }

    /// <summary>The good counter at the window's start.</summary>
    [Id(4)] public long GoodBase { get; set; }

    /// <summary>The state last pushed to the organization.</summary>
    [Id(5)] public MachineRunState LastPushedState { get; set; }

    /// <summary>The alarm count last pushed.</summary>
    [Id(6)] public int LastPushedAlarms { get; set; } = -1;

    /// <summary>When the status was last pushed (UTC ticks).</summary>
    [Id(7)] public long LastPushTicks { get; set; }

    /// <summary>Brings the accumulators up to date after tags changed.</summary>
    public void Observe(TagTable tags, StatusMapping? mapping, TwinConnectivity connectivity, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tags);
        long t = now.UtcTicks;
        if (WindowStartTicks == 0)
        {
            WindowStartTicks = t;
            TotalBase = Counter(tags, mapping?.TotalCountTag);
            GoodBase = Counter(tags, mapping?.GoodCountTag);
        }
        bool running = HasLiveData(connectivity) && Flag(tags, mapping?.RunningTag) == true;
        if (running && RunningSinceTicks == 0) RunningSinceTicks = t;
        else if (!running && RunningSinceTicks != 0)
        {
            RunTicks += Math.Max(0, t - RunningSinceTicks);
            RunningSinceTicks = 0;
        }
        // A counter that went backwards was reset in the plant: count from zero.
        if (Counter(tags, mapping?.TotalCountTag) < TotalBase) TotalBase = 0;
        if (Counter(tags, mapping?.GoodCountTag) < GoodBase) GoodBase = 0;
    }

    /// <summary>Starts a new OEE window now.</summary>
    public void ResetWindow(TagTable tags, StatusMapping? mapping, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tags);
        WindowStartTicks = now.UtcTicks;
        RunTicks = 0;
        if (RunningSinceTicks != 0) RunningSinceTicks = now.UtcTicks;
        TotalBase = Counter(tags, mapping?.TotalCountTag);
        GoodBase = Counter(tags, mapping?.GoodCountTag);
    }

    /// <summary>The status as of now.</summary>
    public MachineStatus Build(string twinId, TagTable tags, StatusMapping? mapping, TwinConnectivity connectivity, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tags);
        long t = now.UtcTicks;
        var (state, alarms) = Summary(tags, mapping, connectivity);
        long planned = WindowStartTicks == 0 ? 0 : Math.Max(0, t - WindowStartTicks);
        long run = RunTicks + (RunningSinceTicks != 0 ? Math.Max(0, t - RunningSinceTicks) : 0);
        return new MachineStatus(twinId, state, alarms,
            TimeSpan.FromTicks(planned), TimeSpan.FromTicks(run), mapping?.IdealCycleTime ?? TimeSpan.Zero,
            Math.Max(0, Counter(tags, mapping?.TotalCountTag) - TotalBase),
            Math.Max(0, Counter(tags, mapping?.GoodCountTag) - GoodBase),
            now);
    }

    /// <summary>The run state and the active alarm count, without building a status (cheap, allocation free).</summary>
    public static (MachineRunState State, int ActiveAlarms) Summary(TagTable tags, StatusMapping? mapping, TwinConnectivity connectivity)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var (alarms, critical) = tags.AlarmSummary();
        var state = connectivity == TwinConnectivity.Offline ? MachineRunState.Offline
            : !HasLiveData(connectivity) ? MachineRunState.Unknown
            : critical || Flag(tags, mapping?.FaultedTag) == true ? MachineRunState.Faulted
            : Flag(tags, mapping?.RunningTag) switch { true => MachineRunState.Running, false => MachineRunState.Idle, null => MachineRunState.Unknown };
        return (state, alarms);
    }

    /// <summary>Whether the status should be pushed to the organization: the state or alarm count changed, or
    /// other figures may have changed and the last push is older than <paramref name="interval"/>.</summary>
    public bool ShouldPush(MachineStatus status, DateTimeOffset now, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(status);
        return ShouldPush(status.State, status.ActiveAlarms, now, interval);
    }

    /// <summary>Whether a status with this state and alarm count should be pushed now.</summary>
    public bool ShouldPush(MachineRunState state, int activeAlarms, DateTimeOffset now, TimeSpan interval) =>
        state != LastPushedState || activeAlarms != LastPushedAlarms || now.UtcTicks - LastPushTicks >= interval.Ticks;

    /// <summary>Records a push.</summary>
    public void MarkPushed(MachineStatus status, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(status);
        LastPushedState = status.State;
        LastPushedAlarms = status.ActiveAlarms;
        LastPushTicks = now.UtcTicks;
    }

    /// <summary>False while the twin's values are not known to be current: every tag stale, or the gateway
    /// reconnecting (also a twin restored from storage before its gateway delivered anything): the state is then
    /// Unknown, never Running from old values, and run time does not accrue.</summary>
    private static bool HasLiveData(TwinConnectivity connectivity) =>
        connectivity is not (TwinConnectivity.Offline or TwinConnectivity.Reconnecting or TwinConnectivity.Stale);

    private static bool? Flag(TagTable tags, string? tag)
    {
        if (tag is null || !tags.TryGetValue(tag, out var v, out _)) return null;
        return v.TryGetNumber(out double n) ? n != 0 : null;
    }

    private static long Counter(TagTable tags, string? tag)
    {
        if (tag is null || !tags.TryGetValue(tag, out var v, out _) || !v.TryGetNumber(out double n)) return 0;
        return (long)n;
    }
}
