using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>Standard node ids of namespace 0 the client uses.</summary>
public static class WellKnownNodes
{
    /// <summary>The Objects folder.</summary>
    public static NodeId ObjectsFolder { get; } = new(85);
    /// <summary>The Server object.</summary>
    public static NodeId Server { get; } = new(2253);
    /// <summary>Server_ServerStatus_State.</summary>
    public static NodeId ServerState { get; } = new(2259);
    /// <summary>Server_NamespaceArray.</summary>
    public static NodeId NamespaceArray { get; } = new(2255);
    /// <summary>HierarchicalReferences.</summary>
    public static NodeId HierarchicalReferences { get; } = new(33);
    /// <summary>HasProperty.</summary>
    public static NodeId HasProperty { get; } = new(46);
    /// <summary>HasComponent.</summary>
    public static NodeId HasComponent { get; } = new(47);
    /// <summary>Organizes.</summary>
    public static NodeId Organizes { get; } = new(35);
    /// <summary>References (all).</summary>
    public static NodeId References { get; } = new(31);
}
