namespace Imv.Gateways.MqttGateway;

/// <summary>Plain JSON settings of a gateway connection (<c>Gateways:Mqtt:N:Json</c>).</summary>
public sealed class JsonGatewayOptions
{
    /// <summary>Topic template of telemetry with named segments, e.g. plant/{site}/{line}/{machine}/telemetry.</summary>
    public string TelemetryTopic { get; set; } = "";
    /// <summary>Twin id built from the named segments; default: the segments joined with '.'.</summary>
    public string? TwinIdTemplate { get; set; }
    /// <summary>Topic template commands are published to (same named segments), or null for no commands.</summary>
    public string? CommandTopic { get; set; }
    /// <summary>Topic template where devices confirm commands, or null: then a command is Applied when the tag
    /// reports the commanded value.</summary>
    public string? AckTopic { get; set; }
    /// <summary>Topic template of a device status ("online"/"offline", typically its last will), or null.</summary>
    public string? StatusTopic { get; set; }
    /// <summary>QoS of the subscriptions and of commands.</summary>
    public int Qos { get; set; } = 1;
    /// <summary>Declared tags by name: type, writable, limits, unit. Tags not declared are learned from the
    /// readings and are read-only.</summary>
    public Dictionary<string, JsonTagOptions> Tags { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Declared methods by name with their arguments; commands calling other methods are rejected.</summary>
    public Dictionary<string, JsonMethodOptions> Methods { get; set; } = new(StringComparer.Ordinal);
}
