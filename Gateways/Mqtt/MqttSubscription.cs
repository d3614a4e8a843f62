namespace Imv.Gateways.Mqtt;

/// <summary>A topic filter to subscribe to, with its options.</summary>
/// <param name="Filter">The topic filter; may use + and # wildcards.</param>
/// <param name="Qos">Maximum QoS requested.</param>
/// <param name="NoLocal">MQTT 5: do not receive own publications.</param>
/// <param name="RetainAsPublished">MQTT 5: keep the retain flag as published.</param>
/// <param name="RetainHandling">MQTT 5: 0 send retained on subscribe, 1 only for a new subscription, 2 never.</param>
public sealed record MqttSubscription(string Filter, MqttQualityOfService Qos = MqttQualityOfService.AtLeastOnce,
    bool NoLocal = false, bool RetainAsPublished = false, byte RetainHandling = 0);
