namespace Imv.Gateways.Mqtt;

/// <summary>A message to publish (also used for the last will).</summary>
public sealed class MqttApplicationMessage
{
    /// <summary>Creates a message for a topic.</summary>
    public MqttApplicationMessage(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce, bool retain = false)
    {
        MqttTopic.ValidateTopicName(topic);
        Topic = topic;
        Payload = payload;
        Qos = qos;
        Retain = retain;
    }

    /// <summary>The topic name (no wildcards).</summary>
    public string Topic { get; }
    /// <summary>The payload bytes.</summary>
    public ReadOnlyMemory<byte> Payload { get; }
    /// <summary>The delivery guarantee.</summary>
    public MqttQualityOfService Qos { get; }
    /// <summary>Whether the broker keeps it as the topic's retained message.</summary>
    public bool Retain { get; }
    /// <summary>MQTT 5: seconds after which the broker discards it if undelivered; null: never.</summary>
    public uint? MessageExpiryInterval { get; init; }
    /// <summary>MQTT 5: MIME type of the payload.</summary>
    public string? ContentType { get; init; }
    /// <summary>MQTT 5: 1 when the payload is UTF-8 text.</summary>
    public byte? PayloadFormatIndicator { get; init; }
    /// <summary>MQTT 5: response topic.</summary>
    public string? ResponseTopic { get; init; }
    /// <summary>MQTT 5: correlation data.</summary>
    public ReadOnlyMemory<byte>? CorrelationData { get; init; }
    /// <summary>MQTT 5: user properties.</summary>
    public IReadOnlyList<MqttUserProperty>? UserProperties { get; init; }
}
