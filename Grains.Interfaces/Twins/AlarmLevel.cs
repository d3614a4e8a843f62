namespace Imv.Grains.Interfaces.Twins;

/// <summary>The alarm band a tag's value is in.</summary>
public enum AlarmLevel : byte
{
    /// <summary>Within the normal range.</summary>
    None = 0,
    /// <summary>Below the low limit.</summary>
    Low = 1,
    /// <summary>Below the low-low limit.</summary>
    LowLow = 2,
    /// <summary>Above the high limit.</summary>
    High = 3,
    /// <summary>Above the high-high limit.</summary>
    HighHigh = 4,
}
