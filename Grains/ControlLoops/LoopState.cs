using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.ControlLoops;

/// <summary>The persisted state of a control loop and its iteration logic (independent of the grain, so it
/// can be tested without a runtime).</summary>
[GenerateSerializer]
public sealed class LoopState
{
    /// <summary>The configuration; null until configured.</summary>
    [Id(0)] public ControlLoopConfiguration? Configuration { get; set; }

    /// <summary>Whether the loop runs.</summary>
    [Id(1)] public bool Enabled { get; set; }

    /// <summary>The last output issued; null when none.</summary>
    [Id(2)] public double? LastOutput { get; set; }

    /// <summary>Iterations run since configured.</summary>
    [Id(3)] public long IterationCount { get; set; }

    /// <summary>When the last iteration ran (UTC ticks); 0 when never.</summary>
    [Id(4)] public long LastRunTicks { get; set; }

    /// <summary>On/off memory.</summary>
    [Id(5)] public OnOffLaw OnOff { get; set; } = new();

    /// <summary>PID memory.</summary>
    [Id(6)] public PidLaw Pid { get; set; } = new();

    /// <summary>Latest iterations, oldest first.</summary>
    [Id(7)] public List<LoopIteration> History { get; set; } = [];

    /// <summary>Whether the last iteration used the safe output.</summary>
    [Id(8)] public bool InSafeState { get; set; }

    /// <summary>Deleted through the API: the configuration is gone, and the plant bootstrap does not plan the loop again.</summary>
    [Id(9)] public bool Deleted { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> when a configuration cannot run.</summary>
    public static void Validate(ControlLoopConfiguration c)
    {
        ArgumentNullException.ThrowIfNull(c);
        static void Fail(string message) => throw new ArgumentException("Control loop configuration: " + message);
        if (string.IsNullOrEmpty(c.MeasuredTwinId) || string.IsNullOrEmpty(c.MeasuredTag)) Fail("measured twin and tag are required");
        if (string.IsNullOrEmpty(c.OutputTwinId) || string.IsNullOrEmpty(c.OutputTag)) Fail("output twin and tag are required");
        if (c.SamplePeriod <= TimeSpan.Zero) Fail("the sample period must be positive");
        if (!double.IsFinite(c.OutputMinimum) || !double.IsFinite(c.OutputMaximum) || c.OutputMinimum > c.OutputMaximum) Fail("output limits must be finite with minimum <= maximum");
        if (!double.IsFinite(c.SafeOutput) || c.SafeOutput < c.OutputMinimum || c.SafeOutput > c.OutputMaximum) Fail("the safe output must lie within the output limits");
        if (!double.IsFinite(c.Setpoint)) Fail("the setpoint must be finite");
        if (c.RateLimit is { } r && !(r > 0)) Fail("the rate limit must be positive");
        if (c.StaleAfter is { } s && s <= TimeSpan.Zero) Fail("StaleAfter must be positive");
        if (c.HistoryLength is < 0 or > 10_000) Fail("the history length must be 0..10000");
        if (c.Law == ControlLawKind.OnOff && (c.OnOff is null || !(c.OnOff.Hysteresis >= 0))) Fail("the on/off law needs parameters with hysteresis >= 0");
        if (c.Law == ControlLawKind.Pid && (c.Pid is null || !double.IsFinite(c.Pid.Kp) || !double.IsFinite(c.Pid.Ki) || !double.IsFinite(c.Pid.Kd))) Fail("the PID law needs finite gains");
    }

    /// <summary>Decides this iteration's output from the measured tag (null when it could not be read).
    /// Returns the output, whether it is the safe output, and a note.</summary>
    public (double Output, bool Safe, string? Note) Decide(TagSnapshot? measured, DateTimeOffset now)
    {
        var c = Configuration ?? throw new InvalidOperationException("The loop is not configured.");
        double dt = LastRunTicks == 0 ? c.SamplePeriod.TotalSeconds : TimeSpan.FromTicks(Math.Max(0, now.UtcTicks - LastRunTicks)).TotalSeconds;
        LastRunTicks = now.UtcTicks;
        var staleAfter = c.StaleAfter ?? c.SamplePeriod * 3;
        string? unsafeReason = measured is null ? "measured tag unreadable"
            : measured.Quality == TagQuality.Bad ? "measured value is Bad"
            : measured.Staleness > staleAfter ? $"measured value is stale ({measured.Staleness.TotalSeconds:0.###} s)"
            : measured.Stale ? $"measured value is stale (older than the tag's staleness bound: {measured.Staleness.TotalSeconds:0.###} s)"
            : !measured.Value.TryGetNumber(out _) ? "measured value is not numeric"
            : null;
        if (unsafeReason is not null)
        {
            InSafeState = true;
            OnOff.Reset();
            if (c.Pid is not null) Pid.Reset(c.SafeOutput, c.Pid);
            return (c.SafeOutput, true, unsafeReason);
        }
        measured!.Value.TryGetNumber(out double pv);
        double target = c.Law == ControlLawKind.OnOff
            ? OnOff.Compute(pv, c.Setpoint, c.OnOff!, c.Action)
            : Pid.Compute(pv, c.Setpoint, dt, c.Pid!, c.Action, c.OutputMinimum, c.OutputMaximum);
        target = Math.Clamp(target, c.OutputMinimum, c.OutputMaximum);
        string? note = InSafeState ? "measured value usable again" : null;
        InSafeState = false;
        return (RateLimiter.Limit(LastOutput, target, c.RateLimit, dt), false, note);
    }

    /// <summary>Appends an iteration to the bounded history.</summary>
    public void Record(LoopIteration iteration)
    {
        IterationCount++;
        History.Add(iteration);
        int max = Configuration?.HistoryLength is > 0 and var n ? n : 100;
        if (History.Count > max) History.RemoveRange(0, History.Count - max);
    }
}
