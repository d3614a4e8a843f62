namespace Imv.Gateways.Mqtt;

/// <summary>MQTT control packet types (upper nibble of the first byte).</summary>
public enum MqttPacketType : byte
{
    /// <summary>Reserved; never valid on the wire.</summary>
    Reserved = 0,
    /// <summary>Client request to connect.</summary>
    Connect = 1,
    /// <summary>Connect acknowledgement.</summary>
    ConnAck = 2,
    /// <summary>Application message.</summary>
    Publish = 3,
    /// <summary>QoS 1 acknowledgement.</summary>
    PubAck = 4,
    /// <summary>QoS 2, part 1.</summary>
    PubRec = 5,
    /// <summary>QoS 2, part 2.</summary>
    PubRel = 6,
    /// <summary>QoS 2, part 3.</summary>
    PubComp = 7,
    /// <summary>Subscribe request.</summary>
    Subscribe = 8,
    /// <summary>Subscribe acknowledgement.</summary>
    SubAck = 9,
    /// <summary>Unsubscribe request.</summary>
    Unsubscribe = 10,
    /// <summary>Unsubscribe acknowledgement.</summary>
    UnsubAck = 11,
    /// <summary>Ping request.</summary>
    PingReq = 12,
    /// <summary>Ping response.</summary>
    PingResp = 13,
    /// <summary>Disconnect notification.</summary>
    Disconnect = 14,
    /// <summary>MQTT 5 authentication exchange.</summary>
    Auth = 15,
}
