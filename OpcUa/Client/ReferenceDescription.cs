using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>A reference found by Browse.</summary>
/// <param name="ReferenceTypeId">The reference type.</param>
/// <param name="IsForward">Direction.</param>
/// <param name="NodeId">The target.</param>
/// <param name="BrowseName">The target's browse name.</param>
/// <param name="DisplayName">The target's display name.</param>
/// <param name="NodeClass">The target's class.</param>
/// <param name="TypeDefinition">The target's type definition.</param>
public sealed record ReferenceDescription(NodeId ReferenceTypeId, bool IsForward, ExpandedNodeId NodeId, QualifiedName BrowseName,
    LocalizedText DisplayName, NodeClass NodeClass, ExpandedNodeId TypeDefinition);
