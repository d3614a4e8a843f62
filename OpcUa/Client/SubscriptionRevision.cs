namespace Imv.Gateways.OpcUa.Client;

/// <summary>What a subscription revised.</summary>
/// <param name="SubscriptionId">The id.</param>
/// <param name="PublishingInterval">The revised publishing interval, ms.</param>
/// <param name="LifetimeCount">The revised lifetime count.</param>
/// <param name="MaxKeepAliveCount">The revised keep-alive count.</param>
public sealed record SubscriptionRevision(uint SubscriptionId, double PublishingInterval, uint LifetimeCount, uint MaxKeepAliveCount);
