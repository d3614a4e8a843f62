namespace Imv.Gateways.MqttGateway;

/// <summary>Which MQTT client a gateway connection runs on.</summary>
public enum MqttClientKind
{
    /// <summary>The project's own MQTT 3.1.1/5.0 client (the default).</summary>
    Own,
    /// <summary>MQTTnet 5.2.</summary>
    MqttNet,
}
