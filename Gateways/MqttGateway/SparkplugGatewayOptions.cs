namespace Imv.Gateways.MqttGateway;

/// <summary>Sparkplug B settings of a gateway connection (<c>Gateways:Mqtt:N:Sparkplug</c>).</summary>
public sealed class SparkplugGatewayOptions
{
    /// <summary>Sparkplug group ids to consume; the gateway subscribes to spBv1.0/{group}/#.</summary>
    public List<string> GroupIds { get; set; } = new();
    /// <summary>The primary host id: STATE is published on spBv1.0/STATE/{HostId}.</summary>
    public string HostId { get; set; } = "imv";
    /// <summary>Twin id of a device; placeholders {group}, {edge}, {device}.</summary>
    public string TwinIdTemplate { get; set; } = "{group}.{edge}.{device}";
    /// <summary>Twin id of an edge node's own metrics; placeholders {group}, {edge}.</summary>
    public string NodeTwinIdTemplate { get; set; } = "{group}.{edge}";
    /// <summary>Least time between two rebirth requests to the same edge node (milliseconds).</summary>
    public int RebirthMinIntervalMs { get; set; } = 2000;
    /// <summary>QoS of NCMD/DCMD commands (Sparkplug recommends 0; 1 lets the gateway report Delivered on PUBACK).</summary>
    public int CommandQos { get; set; } = 1;
}
