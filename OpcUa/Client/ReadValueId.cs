using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>A node and attribute to read.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="AttributeId">The attribute (Value by default).</param>
/// <param name="IndexRange">An index range of an array value, or null.</param>
public readonly record struct ReadValueId(NodeId NodeId, uint AttributeId = Attributes.Value, string? IndexRange = null);
