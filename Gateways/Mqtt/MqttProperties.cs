namespace Imv.Gateways.Mqtt;

/// <summary>The MQTT 5 properties of one packet, as decoded (null members were absent) or to encode.</summary>
public sealed class MqttProperties
{
    /// <summary>0x01: 1 when the payload is UTF-8 text.</summary>
    public byte? PayloadFormatIndicator { get; set; }
    /// <summary>0x02: seconds until the message expires.</summary>
    public uint? MessageExpiryInterval { get; set; }
    /// <summary>0x03: MIME type of the payload.</summary>
    public string? ContentType { get; set; }
    /// <summary>0x08: topic for a response.</summary>
    public string? ResponseTopic { get; set; }
    /// <summary>0x09: correlation data for a response.</summary>
    public byte[]? CorrelationData { get; set; }
    /// <summary>0x0B: subscription identifiers matching this message.</summary>
    public List<uint>? SubscriptionIdentifiers { get; set; }
    /// <summary>0x11: seconds the session outlives the connection.</summary>
    public uint? SessionExpiryInterval { get; set; }
    /// <summary>0x12: client id assigned by the broker.</summary>
    public string? AssignedClientIdentifier { get; set; }
    /// <summary>0x13: keep alive imposed by the broker (seconds).</summary>
    public ushort? ServerKeepAlive { get; set; }
    /// <summary>0x15: authentication method.</summary>
    public string? AuthenticationMethod { get; set; }
    /// <summary>0x16: authentication data.</summary>
    public byte[]? AuthenticationData { get; set; }
    /// <summary>0x17: request problem information.</summary>
    public byte? RequestProblemInformation { get; set; }
    /// <summary>0x18: will delay (seconds).</summary>
    public uint? WillDelayInterval { get; set; }
    /// <summary>0x19: request response information.</summary>
    public byte? RequestResponseInformation { get; set; }
    /// <summary>0x1A: response information.</summary>
    public string? ResponseInformation { get; set; }
    /// <summary>0x1C: another server to use.</summary>
    public string? ServerReference { get; set; }
    /// <summary>0x1F: human-readable reason.</summary>
    public string? ReasonString { get; set; }
    /// <summary>0x21: how many QoS 1/2 publishes the peer accepts in flight.</summary>
    public ushort? ReceiveMaximum { get; set; }
    /// <summary>0x22: highest topic alias the peer accepts.</summary>
    public ushort? TopicAliasMaximum { get; set; }
    /// <summary>0x23: topic alias of this PUBLISH.</summary>
    public ushort? TopicAlias { get; set; }
    /// <summary>0x24: highest QoS the broker supports.</summary>
    public byte? MaximumQos { get; set; }
    /// <summary>0x25: whether the broker supports retained messages.</summary>
    public byte? RetainAvailable { get; set; }
    /// <summary>0x26: user properties, in order.</summary>
    public List<MqttUserProperty>? UserProperties { get; set; }
    /// <summary>0x27: largest packet the peer accepts (bytes).</summary>
    public uint? MaximumPacketSize { get; set; }
    /// <summary>0x28: whether wildcard subscriptions are available.</summary>
    public byte? WildcardSubscriptionAvailable { get; set; }
    /// <summary>0x29: whether subscription identifiers are available.</summary>
    public byte? SubscriptionIdentifiersAvailable { get; set; }
    /// <summary>0x2A: whether shared subscriptions are available.</summary>
    public byte? SharedSubscriptionAvailable { get; set; }
}
