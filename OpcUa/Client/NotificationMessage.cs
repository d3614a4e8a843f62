using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>A notification message of a subscription.</summary>
/// <param name="SequenceNumber">Its sequence number (to acknowledge).</param>
/// <param name="PublishTime">When the server sent it.</param>
/// <param name="NotificationData">Data changes, events, status changes; empty for a keep-alive.</param>
public sealed record NotificationMessage(uint SequenceNumber, DateTime PublishTime, ExtensionObject[] NotificationData);
