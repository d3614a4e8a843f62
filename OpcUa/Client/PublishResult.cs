namespace Imv.Gateways.OpcUa.Client;

/// <summary>A Publish response.</summary>
/// <param name="SubscriptionId">The subscription the message belongs to.</param>
/// <param name="AvailableSequenceNumbers">Messages the server still holds for republishing.</param>
/// <param name="MoreNotifications">More messages are ready.</param>
/// <param name="Message">The message.</param>
/// <param name="AcknowledgeResults">The results of the acknowledgements sent with the request.</param>
public sealed record PublishResult(uint SubscriptionId, uint[] AvailableSequenceNumbers, bool MoreNotifications, NotificationMessage Message, uint[] AcknowledgeResults);
