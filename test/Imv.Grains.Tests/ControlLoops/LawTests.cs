using Imv.Grains.ControlLoops;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;
using Xunit;

namespace Imv.Grains.Tests.ControlLoops;

public class LawTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void On_off_keeps_its_state_inside_the_hysteresis_band()
    {
        var law = new OnOffLaw();
        var p = new OnOffParameters(Hysteresis: 2, OnOutput: 100, OffOutput: 0);
        Assert.Equal(100, law.Compute(18.9, 20, p, ControlAction.Direct));
        Assert.Equal(100, law.Compute(20.5, 20, p, ControlAction.Direct));   // still on inside the band
        Assert.Equal(0, law.Compute(21.1, 20, p, ControlAction.Direct));
        Assert.Equal(0, law.Compute(19.5, 20, p, ControlAction.Direct));     // still off inside the band
        var cooling = new OnOffLaw();
        Assert.Equal(100, cooling.Compute(21.1, 20, p, ControlAction.Reverse));
        Assert.Equal(100, cooling.Compute(19.5, 20, p, ControlAction.Reverse));
        Assert.Equal(0, cooling.Compute(18.9, 20, p, ControlAction.Reverse));
    }

    [Fact]
    public void Pid_is_proportional_integral_and_derivative_on_measurement()
    {
        var pid = new PidLaw();
        var p = new PidParameters(Kp: 2, Ki: 0.5, Kd: 1);
        // error 10: P = 20, I = 0.5*10*1 = 5, no derivative on the first sample
        Assert.Equal(25, pid.Compute(10, 20, 1, p, ControlAction.Direct, -1000, 1000), 9);
        // error 8 after the value rose by 2: P = 16, I = 5 + 4 = 9, D = 1 * -(2/1) = -2
        Assert.Equal(23, pid.Compute(12, 20, 1, p, ControlAction.Direct, -1000, 1000), 9);
        var reverse = new PidLaw();
        Assert.Equal(-25, reverse.Compute(10, 20, 1, p, ControlAction.Reverse, -1000, 1000), 9);
    }

    [Fact]
    public void Pid_anti_windup_stops_the_integral_at_saturation()
    {
        var pid = new PidLaw();
        var p = new PidParameters(Kp: 1, Ki: 1);
        for (int i = 0; i < 100; i++) Assert.Equal(100, pid.Compute(0, 50, 1, p, ControlAction.Direct, 0, 100));
        Assert.True(pid.Integral <= 100, $"integral wound up to {pid.Integral}");
        // Once the value passes the setpoint the output comes off the limit at once (no long unwinding).
        double output = pid.Compute(60, 50, 1, p, ControlAction.Direct, 0, 100);
        Assert.True(output < 100, $"output stayed saturated at {output}");
    }

    [Fact]
    public void Rate_limit_bounds_the_change_per_second()
    {
        Assert.Equal(5, RateLimiter.Limit(0, 100, 10, 0.5));
        Assert.Equal(-5, RateLimiter.Limit(0, -100, 10, 0.5));
        Assert.Equal(100, RateLimiter.Limit(null, 100, 10, 0.5));
        Assert.Equal(100, RateLimiter.Limit(0, 100, null, 0.5));
    }

    private static ControlLoopConfiguration Pid() => new("m1", "temp", "m1", "heater", 50, ControlLawKind.Pid, TimeSpan.FromSeconds(1),
        0, 100, SafeOutput: 0, Pid: new PidParameters(Kp: 10), RateLimit: 20);

    private static TagSnapshot Tag(double v, TagQuality q = TagQuality.Good, double staleSeconds = 0) =>
        new("temp", TagValue.FromDouble(v), q, T0, T0, 1, TimeSpan.FromSeconds(staleSeconds), AlarmLevel.None);

    [Fact]
    public void Loop_goes_to_the_safe_output_when_the_measurement_is_stale_or_bad()
    {
        var s = new LoopState { Configuration = Pid() };
        var (o, safe, _) = s.Decide(Tag(40), T0);
        Assert.False(safe);
        Assert.Equal(100, o);                 // first output: no previous, so not rate limited
        s.LastOutput = o;
        (o, safe, var note) = s.Decide(Tag(40, TagQuality.Bad), T0.AddSeconds(1));
        Assert.True(safe);
        Assert.Equal(0, o);                   // safe output is not rate limited
        Assert.Contains("Bad", note);
        s.LastOutput = o;
        (o, safe, note) = s.Decide(Tag(40, staleSeconds: 3.5), T0.AddSeconds(2));
        Assert.True(safe);
        Assert.Contains("stale", note);
        (o, safe, _) = s.Decide(null, T0.AddSeconds(3));
        Assert.True(safe);
        (o, safe, note) = s.Decide(Tag(45), T0.AddSeconds(4));
        Assert.False(safe);
        Assert.Equal(20, o);                  // back, rate limited from 0 at 20 per second
        Assert.Equal("measured value usable again", note);
    }

    [Fact]
    public void Configuration_is_validated_and_history_bounded()
    {
        Assert.Throws<ArgumentException>(() => LoopState.Validate(Pid() with { SamplePeriod = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => LoopState.Validate(Pid() with { SafeOutput = 200 }));
        Assert.Throws<ArgumentException>(() => LoopState.Validate(Pid() with { Pid = null }));
        Assert.Throws<ArgumentException>(() => LoopState.Validate(Pid() with { Law = ControlLawKind.OnOff }));
        LoopState.Validate(Pid());
        var s = new LoopState { Configuration = Pid() with { HistoryLength = 3 } };
        for (int i = 0; i < 10; i++) s.Record(new LoopIteration(T0.AddSeconds(i), i, TagQuality.Good, 50, i, false, null, null, null));
        Assert.Equal(10, s.IterationCount);
        Assert.Equal([7.0, 8.0, 9.0], s.History.Select(h => h.Output));
    }
}
