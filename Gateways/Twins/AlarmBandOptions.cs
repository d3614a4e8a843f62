using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.Twins;

/// <summary>Alarm limits of one numeric tag of a gateway's twins (<c>...:Alarms:{i}</c>): a value at or beyond a limit
/// raises the alarm, which clears once the value is back inside by more than <see cref="Deadband"/>. A High-high or
/// Low-low alarm makes the twin Faulted. Order where present: LowLow &lt;= Low &lt; High &lt;= HighHigh.</summary>
public sealed class AlarmBandOptions
{
    /// <summary>The tag's name.</summary>
    public string Tag { get; set; } = "";

    /// <summary>The low-low limit.</summary>
    public double? LowLow { get; set; }

    /// <summary>The low limit.</summary>
    public double? Low { get; set; }

    /// <summary>The high limit.</summary>
    public double? High { get; set; }

    /// <summary>The high-high limit.</summary>
    public double? HighHigh { get; set; }

    /// <summary>How far back inside a limit the value must come for the alarm to clear.</summary>
    public double Deadband { get; set; }

    /// <summary>The band.</summary>
    public AlarmBand ToBand() => new(Tag, LowLow, Low, High, HighHigh, Deadband);
}
