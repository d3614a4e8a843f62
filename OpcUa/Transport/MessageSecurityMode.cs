namespace Imv.Gateways.OpcUa.Transport;

/// <summary>How messages on a secure channel are protected.</summary>
public enum MessageSecurityMode
{
    /// <summary>Not valid.</summary>
    Invalid = 0,
    /// <summary>No protection.</summary>
    None = 1,
    /// <summary>Signed.</summary>
    Sign = 2,
    /// <summary>Signed and encrypted.</summary>
    SignAndEncrypt = 3,
}
