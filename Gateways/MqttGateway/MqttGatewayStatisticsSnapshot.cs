namespace Imv.Gateways.MqttGateway;

/// <summary>The counters of one MQTT gateway connection and its client at one moment, for the API and diagnostics.</summary>
/// <param name="Gateway">The connection's name.</param>
/// <param name="State">The client's connection state (Connected, ConnectionLost ...).</param>
/// <param name="Messages">Messages taken from the broker.</param>
/// <param name="BadMessages">Messages refused as bad input (each counted and logged).</param>
/// <param name="TypeMismatches">Readings refused because they did not fit their tag's type.</param>
/// <param name="Dropped">QoS 0 messages dropped because the receive buffer was full.</param>
/// <param name="Reconnects">Reconnects after a lost connection.</param>
/// <param name="RefusedLogins">CONNECTs the broker refused for their credentials.</param>
/// <param name="CommandsSent">Commands published.</param>
/// <param name="CommandsApplied">Commands confirmed as applied.</param>
/// <param name="CommandsRejected">Commands rejected before publishing.</param>
/// <param name="SinkErrors">Sink calls that failed.</param>
public sealed record MqttGatewayStatisticsSnapshot(
    string Gateway,
    string State,
    long Messages,
    long BadMessages,
    long TypeMismatches,
    long Dropped,
    long Reconnects,
    long RefusedLogins,
    long CommandsSent,
    long CommandsApplied,
    long CommandsRejected,
    long SinkErrors);
