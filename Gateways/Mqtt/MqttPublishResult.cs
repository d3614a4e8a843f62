namespace Imv.Gateways.Mqtt;

/// <summary>The broker's answer to a publication: for QoS 0 always success once written; for QoS 1 the
/// PUBACK, for QoS 2 the PUBREC/PUBCOMP reason code.</summary>
/// <param name="ReasonCode">0 (Success) or 0x10 (no matching subscribers) are successes; 0x80 and above are errors.</param>
/// <param name="ReasonString">The MQTT 5 reason string, when sent.</param>
public readonly record struct MqttPublishResult(byte ReasonCode, string? ReasonString)
{
    /// <summary>True when the broker accepted the message.</summary>
    public bool IsSuccess => ReasonCode < 0x80;

    /// <summary>A successful result.</summary>
    public static MqttPublishResult Success => new(0, null);
}
