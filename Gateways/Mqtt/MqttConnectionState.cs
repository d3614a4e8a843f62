namespace Imv.Gateways.Mqtt;

/// <summary>The state of a client's connection.</summary>
public enum MqttConnectionState
{
    /// <summary>Not connected yet, or closed by the application.</summary>
    Disconnected,
    /// <summary>Connected; CONNACK accepted.</summary>
    Connected,
    /// <summary>The connection was lost; reconnecting if enabled.</summary>
    ConnectionLost,
}
