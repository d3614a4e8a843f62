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
}
