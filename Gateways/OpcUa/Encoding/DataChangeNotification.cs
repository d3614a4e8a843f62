namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>The data changes of one notification message.</summary>
/// <param name="MonitoredItems">The changes, in the order the server queued them.</param>
public sealed record DataChangeNotification(MonitoredItemNotification[] MonitoredItems);
