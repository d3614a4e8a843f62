using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>A monitored item to create.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="ClientHandle">The client's handle, reported with each notification.</param>
/// <param name="SamplingInterval">Requested sampling interval, ms (-1: the publishing interval).</param>
/// <param name="QueueSize">Requested queue size.</param>
/// <param name="Filter">Optional deadband filter.</param>
/// <param name="AttributeId">The attribute (Value).</param>
public sealed record MonitoredItemRequest(NodeId NodeId, uint ClientHandle, double SamplingInterval, uint QueueSize, DataChangeFilter? Filter = null,
    uint AttributeId = Attributes.Value);
