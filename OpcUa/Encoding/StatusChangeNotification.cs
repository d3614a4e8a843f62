namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>The subscription's status changed (e.g. BadTimeout when it expired on the server).</summary>
/// <param name="Status">The new status.</param>
public sealed record StatusChangeNotification(uint Status);
