using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>A node to browse.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="ReferenceTypeId">Which references (with subtypes); HierarchicalReferences by default.</param>
/// <param name="NodeClassMask">Which target classes; 0 for all.</param>
/// <param name="Forward">Forward references (true) or inverse.</param>
public sealed record BrowseDescription(NodeId NodeId, NodeId ReferenceTypeId, NodeClass NodeClassMask = NodeClass.Unspecified, bool Forward = true);
