using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>A value to write.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="Value">The value (with optional status and timestamps).</param>
/// <param name="AttributeId">The attribute (Value by default).</param>
public readonly record struct WriteValue(NodeId NodeId, DataValue Value, uint AttributeId = Attributes.Value);
