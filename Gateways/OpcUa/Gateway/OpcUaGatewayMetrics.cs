using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>System.Diagnostics.Metrics instruments of the OPC UA gateway (meter <c>Imv.Gateways.OpcUa</c>):
/// observable counters read from every running endpoint connection, tagged <c>gateway</c> = endpoint name.</summary>
public static class OpcUaGatewayMetrics
{
    /// <summary>The meter name, for OpenTelemetry's AddMeter.</summary>
    public const string MeterName = "Imv.Gateways.OpcUa";

    private static readonly ConcurrentDictionary<OpcUaEndpointConnection, bool> Connections = new();
    private static readonly Meter Meter = new(MeterName);

    static OpcUaGatewayMetrics()
    {
        Counter("imv.opcua.notifications", "{notification}", "Data change notifications turned into tag updates", c => c.NotificationCount);
        Counter("imv.opcua.type_mismatches", "{reading}", "Readings refused because they did not fit their tag's type", c => c.TypeMismatchCount);
        Counter("imv.opcua.reconnects", "{reconnect}", "Connections re-established after a loss", c => c.ReconnectCount);
        Counter("imv.opcua.connect_failures", "{failure}", "Failed attempts to connect or keep the connection", c => c.ConnectFailureCount);
        Counter("imv.opcua.refused_logins", "{refusal}", "Logins or secured channels the server refused", c => c.RefusedLoginCount);
    }

    private static void Counter(string name, string unit, string description, Func<OpcUaEndpointConnection, long> read) =>
        Meter.CreateObservableCounter(name, () => Connections.Keys.Select(c => new Measurement<long>(read(c), new KeyValuePair<string, object?>("gateway", c.Name))), unit, description);

    internal static void Register(OpcUaEndpointConnection connection) => Connections[connection] = true;

    internal static void Unregister(OpcUaEndpointConnection connection) => Connections.TryRemove(connection, out _);
}
