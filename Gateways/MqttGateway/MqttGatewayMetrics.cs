using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Imv.Gateways.MqttGateway;

/// <summary>System.Diagnostics.Metrics instruments of the MQTT gateway (meter <c>Imv.Gateways.Mqtt</c>): observable
/// counters read from every running connection's statistics, tagged with the connection's name.</summary>
public static class MqttGatewayMetrics
{
    /// <summary>The meter name, for OpenTelemetry's AddMeter.</summary>
    public const string MeterName = "Imv.Gateways.Mqtt";

    private static readonly ConcurrentDictionary<MqttGatewayConnection, bool> Connections = new();
    private static readonly Meter Meter = new(MeterName);

    static MqttGatewayMetrics()
    {
        Counter("imv.mqtt.messages", "{message}", "Messages taken from the broker", c => c.Statistics.Messages);
        Counter("imv.mqtt.bad_messages", "{message}", "Messages refused as bad input (counted and logged)", c => c.Statistics.BadMessages);
        Counter("imv.mqtt.tag_updates", "{update}", "Tag updates handed to the twins", c => c.Statistics.TagUpdates);
        Counter("imv.mqtt.telemetry_calls", "{call}", "Batches of updates handed to the twins", c => c.Statistics.TelemetryCalls);
        Counter("imv.mqtt.dropped", "{message}", "QoS 0 messages dropped because the receive buffer was full", c => c.Client.Statistics.MessagesDropped);
        Counter("imv.mqtt.reconnects", "{reconnect}", "Reconnects after a lost connection", c => c.Client.Statistics.Reconnects);
        Counter("imv.mqtt.rebirth_requests", "{request}", "Sparkplug rebirth requests sent", c => c.Statistics.RebirthRequests);
        Counter("imv.mqtt.sequence_gaps", "{gap}", "Sparkplug seq gaps seen", c => c.Statistics.SequenceGaps);
        Counter("imv.mqtt.commands_sent", "{command}", "Commands published", c => c.Statistics.CommandsSent);
        Counter("imv.mqtt.commands_applied", "{command}", "Commands confirmed as applied", c => c.Statistics.CommandsApplied);
        Counter("imv.mqtt.commands_rejected", "{command}", "Commands rejected before publishing (device offline, read-only tag, undeclared method, limits)", c => c.Statistics.CommandsRejected);
        Counter("imv.mqtt.type_mismatches", "{reading}", "Readings refused because they did not fit their tag's type", c => c.Statistics.TypeMismatches);
        Counter("imv.mqtt.refused_logins", "{refusal}", "CONNECTs the broker refused for their credentials", c => c.Client.Statistics.RefusedLogins);
    }

    private static void Counter(string name, string unit, string description, Func<MqttGatewayConnection, long> read) =>
        Meter.CreateObservableCounter(name, () => Connections.Keys.Select(c => new Measurement<long>(read(c), new KeyValuePair<string, object?>("gateway", c.Name))), unit, description);

    internal static void Register(MqttGatewayConnection connection) => Connections[connection] = true;

    internal static void Unregister(MqttGatewayConnection connection) => Connections.TryRemove(connection, out _);
}
