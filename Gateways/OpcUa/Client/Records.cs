using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

// The service parameter and result records of the client. They are small data carriers, kept in one
// file so that the services read like the spec's tables (OPC 10000-4).

/// <summary>A user token policy of an endpoint.</summary>
/// <param name="PolicyId">The policy id to send back in the identity token.</param>
/// <param name="TokenType">0 anonymous, 1 user name, 2 certificate, 3 issued token.</param>
/// <param name="SecurityPolicyUri">The policy that protects the token; null means the channel's.</param>
public sealed record UserTokenPolicy(string? PolicyId, int TokenType, string? SecurityPolicyUri);

/// <summary>An endpoint of a server.</summary>
/// <param name="EndpointUrl">Its URL.</param>
/// <param name="ServerCertificate">The server's certificate (DER), may be empty.</param>
/// <param name="SecurityMode">1 None, 2 Sign, 3 SignAndEncrypt.</param>
/// <param name="SecurityPolicyUri">The security policy.</param>
/// <param name="UserIdentityTokens">The accepted user tokens.</param>
/// <param name="SecurityLevel">Relative security.</param>
public sealed record EndpointDescription(string? EndpointUrl, byte[] ServerCertificate, int SecurityMode, string? SecurityPolicyUri,
    UserTokenPolicy[] UserIdentityTokens, byte SecurityLevel);

/// <summary>A reference found by Browse.</summary>
/// <param name="ReferenceTypeId">The reference type.</param>
/// <param name="IsForward">Direction.</param>
/// <param name="NodeId">The target.</param>
/// <param name="BrowseName">The target's browse name.</param>
/// <param name="DisplayName">The target's display name.</param>
/// <param name="NodeClass">The target's class.</param>
/// <param name="TypeDefinition">The target's type definition.</param>
public sealed record ReferenceDescription(NodeId ReferenceTypeId, bool IsForward, ExpandedNodeId NodeId, QualifiedName BrowseName,
    LocalizedText DisplayName, NodeClass NodeClass, ExpandedNodeId TypeDefinition);

/// <summary>The result of browsing one node (one page of it).</summary>
/// <param name="StatusCode">The operation's status.</param>
/// <param name="ContinuationPoint">Non-null when more references remain (BrowseNext).</param>
/// <param name="References">The references of this page.</param>
public sealed record BrowseResult(uint StatusCode, byte[]? ContinuationPoint, ReferenceDescription[] References);

/// <summary>A node to browse.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="ReferenceTypeId">Which references (with subtypes); HierarchicalReferences by default.</param>
/// <param name="NodeClassMask">Which target classes; 0 for all.</param>
/// <param name="Forward">Forward references (true) or inverse.</param>
public sealed record BrowseDescription(NodeId NodeId, NodeId ReferenceTypeId, NodeClass NodeClassMask = NodeClass.Unspecified, bool Forward = true);

/// <summary>The result of translating one browse path.</summary>
/// <param name="StatusCode">The operation's status.</param>
/// <param name="Targets">The nodes found.</param>
public sealed record BrowsePathResult(uint StatusCode, ExpandedNodeId[] Targets);

/// <summary>A node and attribute to read.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="AttributeId">The attribute (Value by default).</param>
/// <param name="IndexRange">An index range of an array value, or null.</param>
public readonly record struct ReadValueId(NodeId NodeId, uint AttributeId = Attributes.Value, string? IndexRange = null);

/// <summary>A value to write.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="Value">The value (with optional status and timestamps).</param>
/// <param name="AttributeId">The attribute (Value by default).</param>
public readonly record struct WriteValue(NodeId NodeId, DataValue Value, uint AttributeId = Attributes.Value);

/// <summary>A method to call.</summary>
/// <param name="ObjectId">The object (or object type) that owns the method.</param>
/// <param name="MethodId">The method.</param>
/// <param name="InputArguments">The inputs.</param>
public sealed record CallMethodRequest(NodeId ObjectId, NodeId MethodId, IReadOnlyList<Variant> InputArguments);

/// <summary>The result of a method call.</summary>
/// <param name="StatusCode">The call's status.</param>
/// <param name="InputArgumentResults">Per-input status (empty when all were good).</param>
/// <param name="OutputArguments">The outputs.</param>
public sealed record CallMethodResult(uint StatusCode, uint[] InputArgumentResults, Variant[] OutputArguments);

/// <summary>What a subscription revised.</summary>
/// <param name="SubscriptionId">The id.</param>
/// <param name="PublishingInterval">The revised publishing interval, ms.</param>
/// <param name="LifetimeCount">The revised lifetime count.</param>
/// <param name="MaxKeepAliveCount">The revised keep-alive count.</param>
public sealed record SubscriptionRevision(uint SubscriptionId, double PublishingInterval, uint LifetimeCount, uint MaxKeepAliveCount);

/// <summary>A data change filter: trigger and deadband.</summary>
/// <param name="Trigger">0 status, 1 status and value, 2 status, value and timestamp.</param>
/// <param name="DeadbandType">0 none, 1 absolute, 2 percent of the EURange.</param>
/// <param name="DeadbandValue">The deadband.</param>
public sealed record DataChangeFilter(int Trigger, uint DeadbandType, double DeadbandValue);

/// <summary>A monitored item to create.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="ClientHandle">The client's handle, reported with each notification.</param>
/// <param name="SamplingInterval">Requested sampling interval, ms (-1: the publishing interval).</param>
/// <param name="QueueSize">Requested queue size.</param>
/// <param name="Filter">Optional deadband filter.</param>
/// <param name="AttributeId">The attribute (Value).</param>
public sealed record MonitoredItemRequest(NodeId NodeId, uint ClientHandle, double SamplingInterval, uint QueueSize, DataChangeFilter? Filter = null,
    uint AttributeId = Attributes.Value);

/// <summary>The result of creating a monitored item.</summary>
/// <param name="StatusCode">The status.</param>
/// <param name="MonitoredItemId">The server's id of the item.</param>
/// <param name="RevisedSamplingInterval">The sampling interval granted.</param>
/// <param name="RevisedQueueSize">The queue size granted.</param>
public sealed record MonitoredItemResult(uint StatusCode, uint MonitoredItemId, double RevisedSamplingInterval, uint RevisedQueueSize);

/// <summary>A notification message of a subscription.</summary>
/// <param name="SequenceNumber">Its sequence number (to acknowledge).</param>
/// <param name="PublishTime">When the server sent it.</param>
/// <param name="NotificationData">Data changes, events, status changes; empty for a keep-alive.</param>
public sealed record NotificationMessage(uint SequenceNumber, DateTime PublishTime, ExtensionObject[] NotificationData);

/// <summary>A Publish response.</summary>
/// <param name="SubscriptionId">The subscription the message belongs to.</param>
/// <param name="AvailableSequenceNumbers">Messages the server still holds for republishing.</param>
/// <param name="MoreNotifications">More messages are ready.</param>
/// <param name="Message">The message.</param>
/// <param name="AcknowledgeResults">The results of the acknowledgements sent with the request.</param>
public sealed record PublishResult(uint SubscriptionId, uint[] AvailableSequenceNumbers, bool MoreNotifications, NotificationMessage Message, uint[] AcknowledgeResults);

/// <summary>The result of transferring one subscription.</summary>
/// <param name="StatusCode">The status.</param>
/// <param name="AvailableSequenceNumbers">Messages that can be republished.</param>
public sealed record TransferResult(uint StatusCode, uint[] AvailableSequenceNumbers);

/// <summary>An acknowledgement of a notification message.</summary>
/// <param name="SubscriptionId">The subscription.</param>
/// <param name="SequenceNumber">The message's sequence number.</param>
public readonly record struct SubscriptionAcknowledgement(uint SubscriptionId, uint SequenceNumber);
