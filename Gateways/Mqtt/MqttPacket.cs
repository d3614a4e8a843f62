namespace Imv.Gateways.Mqtt;

/// <summary>One decoded MQTT control packet. Fields not carried by the packet type keep their defaults.</summary>
internal struct MqttPacket
{
    public MqttPacketType Type;
    public byte Flags;
    public ushort PacketId;
    /// <summary>CONNACK return/reason code, ack reason code, DISCONNECT/AUTH reason code.</summary>
    public byte ReasonCode;
    public bool SessionPresent;
    public MqttQualityOfService Qos;
    public bool Retain;
    public bool Dup;
    /// <summary>PUBLISH topic; empty when an MQTT 5 topic alias stands for it.</summary>
    public string? Topic;
    public byte[]? Payload;
    public MqttProperties? Properties;
    /// <summary>SUBACK / UNSUBACK per-filter reason codes.</summary>
    public byte[]? ReasonCodes;
}
