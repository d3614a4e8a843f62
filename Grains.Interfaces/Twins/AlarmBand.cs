using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>The alarm limits of one numeric tag. A value at or beyond a limit raises the alarm; it clears
/// only once the value is back inside the limit by more than <see cref="Deadband"/>. Any limit may be absent.
/// Required order where present: LowLow &lt;= Low &lt; High &lt;= HighHigh.</summary>
/// <param name="Tag">The tag's name.</param>
/// <param name="LowLow">The low-low limit; null for none.</param>
/// <param name="Low">The low limit; null for none.</param>
/// <param name="High">The high limit; null for none.</param>
/// <param name="HighHigh">The high-high limit; null for none.</param>
/// <param name="Deadband">How far back inside a limit the value must come before the alarm clears (&gt;= 0).</param>
[GenerateSerializer]
public sealed record AlarmBand(
    [property: Id(0)] string Tag,
    [property: Id(1)] double? LowLow = null,
    [property: Id(2)] double? Low = null,
    [property: Id(3)] double? High = null,
    [property: Id(4)] double? HighHigh = null,
    [property: Id(5)] double Deadband = 0)
{
    /// <summary>What is wrong with the band (limits out of order, NaN, a negative or infinite deadband, no tag); null when valid.</summary>
    public string? Problem()
    {
        if (string.IsNullOrEmpty(Tag)) return "An alarm band needs a tag.";
        if (!(Deadband >= 0) || double.IsInfinity(Deadband)) return $"Alarm band of '{Tag}': deadband must be finite and >= 0.";
        double? previous = null;
        foreach (var limit in (double?[])[LowLow, Low, High, HighHigh])
        {
            if (limit is not { } l) continue;
            if (double.IsNaN(l)) return $"Alarm band of '{Tag}': NaN limit.";
            if (previous is { } p && l < p) return $"Alarm band of '{Tag}': limits must satisfy LowLow <= Low < High <= HighHigh.";
            previous = l;
        }
        return Low is { } lo && High is { } hi && lo >= hi ? $"Alarm band of '{Tag}': Low must be below High." : null;
    }
}
