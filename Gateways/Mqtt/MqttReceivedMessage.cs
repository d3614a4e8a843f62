namespace Imv.Gateways.Mqtt;

/// <summary>A message the broker delivered to this client.</summary>
/// <param name="Topic">The topic name (topic aliases already resolved).</param>
/// <param name="Payload">The payload; owned by the receiver.</param>
/// <param name="Qos">The QoS it was delivered at.</param>
/// <param name="Retain">True when it is a retained message sent on subscribe.</param>
/// <param name="Properties">MQTT 5 properties (user properties, message expiry, ...); null when none.</param>
public sealed record MqttReceivedMessage(string Topic, byte[] Payload, MqttQualityOfService Qos, bool Retain, MqttProperties? Properties);
