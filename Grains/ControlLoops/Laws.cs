using Imv.Grains.Interfaces.ControlLoops;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.ControlLoops;

/// <summary>On/off control with hysteresis. With direct action the output turns on below
/// setpoint - hysteresis/2 and off above setpoint + hysteresis/2 (reverse action: the other way round);
/// in between it keeps its state.</summary>
[GenerateSerializer]
public sealed class OnOffLaw
{
    /// <summary>Whether the output is on.</summary>
    [Id(0)] public bool On { get; set; }

    /// <summary>The output for a measured value.</summary>
    public double Compute(double measured, double setpoint, OnOffParameters p, ControlAction action)
    {
        ArgumentNullException.ThrowIfNull(p);
        double half = p.Hysteresis / 2;
        bool below = measured < setpoint - half, above = measured > setpoint + half;
        if (action == ControlAction.Direct) { if (below) On = true; else if (above) On = false; }
        else { if (above) On = true; else if (below) On = false; }
        return On ? p.OnOutput : p.OffOutput;
    }

    /// <summary>Forgets the state (off).</summary>
    public void Reset() => On = false;
}

/// <summary>PID control, parallel form, derivative on the measurement (no kick on setpoint changes), with
/// anti-windup by conditional integration: the integral does not grow while the output is saturated in the
/// direction the error pushes it; the integral is also kept within the output range.</summary>
[GenerateSerializer]
public sealed class PidLaw
{
    /// <summary>The integral term (in output units).</summary>
    [Id(0)] public double Integral { get; set; }

    /// <summary>The previous measured value; null before the first sample.</summary>
    [Id(1)] public double? LastMeasured { get; set; }

    /// <summary>The output for a measured value, <paramref name="dt"/> seconds after the previous sample.</summary>
    public double Compute(double measured, double setpoint, double dt, PidParameters p, ControlAction action, double min, double max)
    {
        ArgumentNullException.ThrowIfNull(p);
        double sign = action == ControlAction.Direct ? 1 : -1;
        double error = sign * (setpoint - measured);
        double derivative = LastMeasured is { } last && dt > 0 ? -sign * (measured - last) / dt : 0;
        LastMeasured = measured;
        double proportional = p.Kp * error;
        double d = p.Kd * derivative;
        double candidate = Integral + p.Ki * error * Math.Max(dt, 0);
        double unclamped = p.Bias + proportional + candidate + d;
        bool windsUp = (unclamped > max && error > 0) || (unclamped < min && error < 0);
        if (!windsUp) Integral = Math.Clamp(candidate, min - p.Bias, max - p.Bias);
        return Math.Clamp(p.Bias + proportional + Integral + d, min, max);
    }

    /// <summary>Restarts so that the next output continues from <paramref name="output"/> (bumpless return from the safe output).</summary>
    public void Reset(double output, PidParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        Integral = output - p.Bias;
        LastMeasured = null;
    }
}

/// <summary>Limits how fast an output moves.</summary>
public static class RateLimiter
{
    /// <summary>The target, moved at most <paramref name="perSecond"/> x <paramref name="dt"/> from <paramref name="previous"/>.</summary>
    public static double Limit(double? previous, double target, double? perSecond, double dt)
    {
        if (previous is not { } prev || perSecond is not { } rate) return target;
        double step = rate * Math.Max(dt, 0);
        return Math.Clamp(target, prev - step, prev + step);
    }
}
