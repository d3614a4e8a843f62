namespace Imv.Gateways.MqttGateway;

/// <summary>How a gateway connection interprets the broker's traffic.</summary>
public enum MqttGatewayMode
{
    /// <summary>Sparkplug B: the gateway is a primary host application.</summary>
    SparkplugB,
    /// <summary>Plain JSON on configurable topic templates.</summary>
    Json,
}
