using Imv.Grains.Interfaces.Twins;

namespace Imv.Grains.Machines;

/// <summary>Decides a tag's alarm level from its value, its current level and its band (with deadband).</summary>
public static class AlarmEvaluator
{
    /// <summary>Throws <see cref="ArgumentException"/> when a band's limits are out of order or its deadband negative.</summary>
    public static void Validate(AlarmBand band)
    {
        ArgumentNullException.ThrowIfNull(band);
        if (band.Problem() is { } problem) throw new ArgumentException(problem, nameof(band));
    }

    /// <summary>The level for <paramref name="value"/> given the level active now. A limit reached raises (or
    /// escalates) at once; an active level holds until the value is back inside its limit by more than the deadband.</summary>
    public static AlarmLevel Evaluate(double value, AlarmLevel current, AlarmBand band)
    {
        ArgumentNullException.ThrowIfNull(band);
        if (double.IsNaN(value)) return current;
        double db = band.Deadband;
        bool inHighHigh = band.HighHigh is { } hh && (value >= hh || (current == AlarmLevel.HighHigh && value > hh - db));
        if (inHighHigh) return AlarmLevel.HighHigh;
        bool inHigh = band.High is { } h && (value >= h || (current is AlarmLevel.High or AlarmLevel.HighHigh && value > h - db));
        if (inHigh) return AlarmLevel.High;
        bool inLowLow = band.LowLow is { } ll && (value <= ll || (current == AlarmLevel.LowLow && value < ll + db));
        if (inLowLow) return AlarmLevel.LowLow;
        bool inLow = band.Low is { } l && (value <= l || (current is AlarmLevel.Low or AlarmLevel.LowLow && value < l + db));
        return inLow ? AlarmLevel.Low : AlarmLevel.None;
    }

    /// <summary>True for the levels that stop a machine (High-high, Low-low).</summary>
    public static bool IsCritical(AlarmLevel level) => level is AlarmLevel.HighHigh or AlarmLevel.LowLow;
}
