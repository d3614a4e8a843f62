namespace Imv.Gateways.Mqtt;

/// <summary>An MQTT 5 user property: a name/value pair carried with a packet.</summary>
/// <param name="Name">The property name.</param>
/// <param name="Value">The property value.</param>
public readonly record struct MqttUserProperty(string Name, string Value);
