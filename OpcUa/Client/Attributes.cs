namespace Imv.Gateways.OpcUa.Client;

/// <summary>Attribute ids (OPC 10000-6 §A.1) the client uses.</summary>
public static class Attributes
{
    /// <summary>NodeId.</summary>
    public const uint NodeId = 1;
    /// <summary>NodeClass.</summary>
    public const uint NodeClass = 2;
    /// <summary>BrowseName.</summary>
    public const uint BrowseName = 3;
    /// <summary>DisplayName.</summary>
    public const uint DisplayName = 4;
    /// <summary>Value.</summary>
    public const uint Value = 13;
    /// <summary>DataType.</summary>
    public const uint DataType = 14;
    /// <summary>ValueRank.</summary>
    public const uint ValueRank = 15;
    /// <summary>AccessLevel.</summary>
    public const uint AccessLevel = 17;
    /// <summary>UserAccessLevel.</summary>
    public const uint UserAccessLevel = 18;
}
