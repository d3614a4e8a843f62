namespace Imv.Gateways.Mqtt;

/// <summary>A message the broker delivered to this client.</summary>
/// <param name="Topic">The topic name (topic aliases already resolved).</param>
/// <param name="Payload">The payload; owned by the receiver.</param>
/// <param name="Qos">The QoS it was delivered at.</param>
/// <param name="Retain">True when it is a retained message sent on subscribe.</param>
/// <param name="Properties">MQTT 5 properties (user properties, message expiry, ...); null when none.</param>
public sealed record MqttReceivedMessage(string Topic, byte[] Payload, MqttQualityOfService Qos, bool Retain, MqttProperties? Properties)
{
    /// <summary>With <see cref="MqttClientOptions.ManualAcknowledgement"/>, the acknowledgement the client holds back
    /// for this QoS 1/2 message until <see cref="MqttClient.AcknowledgeAsync"/>; null otherwise.</summary>
    internal MqttPendingAcknowledgement? HeldAcknowledgement { get; init; }
}

/// <summary>An acknowledgement of a received QoS 1/2 message held until the consumer releases it (whichever client
/// received the message knows how to send it).</summary>
internal abstract class MqttPendingAcknowledgement
{
    /// <summary>The consumer is done with the message.</summary>
    public bool Released { get; set; }
}

/// <summary>An acknowledgement (PUBACK or PUBREC) of a received message, held until the consumer releases it.</summary>
internal sealed class MqttHeldAcknowledgement(MqttTransport transport, MqttPacketType type, ushort packetId) : MqttPendingAcknowledgement
{
    public MqttTransport Transport { get; } = transport;
    public MqttPacketType Type { get; } = type;
    public ushort PacketId { get; } = packetId;
}
