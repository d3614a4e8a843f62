namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>The kind of identifier a node id carries.</summary>
public enum NodeIdType : byte
{
    /// <summary>A 32-bit number.</summary>
    Numeric = 0,
    /// <summary>A string.</summary>
    String = 1,
    /// <summary>A Guid.</summary>
    Guid = 2,
    /// <summary>An opaque byte string.</summary>
    Opaque = 3,
}
