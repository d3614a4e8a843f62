namespace Imv.Gateways.OpcUa.Client;

/// <summary>The result of creating a monitored item.</summary>
/// <param name="StatusCode">The status.</param>
/// <param name="MonitoredItemId">The server's id of the item.</param>
/// <param name="RevisedSamplingInterval">The sampling interval granted.</param>
/// <param name="RevisedQueueSize">The queue size granted.</param>
public sealed record MonitoredItemResult(uint StatusCode, uint MonitoredItemId, double RevisedSamplingInterval, uint RevisedQueueSize);
