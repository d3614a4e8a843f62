namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>One data change of one monitored item.</summary>
/// <param name="ClientHandle">The handle the client gave the item.</param>
/// <param name="Value">The new value.</param>
public readonly record struct MonitoredItemNotification(uint ClientHandle, DataValue Value);
