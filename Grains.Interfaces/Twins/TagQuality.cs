namespace Imv.Grains.Interfaces.Twins;

/// <summary>How far a tag's value can be trusted (the OPC UA and Sparkplug notion, reduced to three levels).</summary>
[GenerateSerializer]
public enum TagQuality : byte
{
    /// <summary>Fresh and valid.</summary>
    Good = 0,
    /// <summary>Possibly wrong: older than its expected period, or the source is reconnecting.</summary>
    Uncertain = 1,
    /// <summary>Not valid: the device is offline or reported a failure.</summary>
    Bad = 2,
}
