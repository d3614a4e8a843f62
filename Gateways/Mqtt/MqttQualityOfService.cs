namespace Imv.Gateways.Mqtt;

/// <summary>MQTT delivery guarantee.</summary>
public enum MqttQualityOfService : byte
{
    /// <summary>QoS 0: fire and forget.</summary>
    AtMostOnce = 0,
    /// <summary>QoS 1: acknowledged with PUBACK, may be duplicated.</summary>
    AtLeastOnce = 1,
    /// <summary>QoS 2: four-way handshake, delivered once.</summary>
    ExactlyOnce = 2,
}
