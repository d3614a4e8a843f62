namespace Imv.Gateways.Mqtt;

/// <summary>The fields of a CONNECT packet.</summary>
internal sealed record MqttConnectRequest(
    MqttProtocolVersion Version,
    string ClientId,
    bool CleanStart,
    ushort KeepAliveSeconds,
    string? Username,
    string? Password,
    MqttApplicationMessage? Will,
    uint SessionExpiryInterval,
    ushort ReceiveMaximum,
    uint MaximumPacketSize,
    ushort TopicAliasMaximum);
