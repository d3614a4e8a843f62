namespace Imv.Grains.Interfaces.Plant;

/// <summary>Whether a twin's device can be reached.</summary>
public enum TwinConnectivity : byte
{
    /// <summary>Never heard of, or not known yet.</summary>
    Unknown = 0,
    /// <summary>Reachable; values are live.</summary>
    Online = 1,
    /// <summary>The gateway is reconnecting; values may be stale (Uncertain).</summary>
    Reconnecting = 2,
    /// <summary>Gone (death certificate, last will, lost for good); values are Bad.</summary>
    Offline = 3,
    /// <summary>Last reported Online, but every tag with a value is older than its staleness bound: the device
    /// (or its gateway) went silent without saying so. Computed when the twin is read, never stored.</summary>
    Stale = 4,
}
