namespace Imv.Gateways.OpcUa.Client;

/// <summary>An acknowledgement of a notification message.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="SequenceNumber">The message's sequence number.</param>
public readonly record struct SubscriptionAcknowledgement(uint SubscriptionId, uint SequenceNumber);
