using Imv.Silo.Security;
using Imv.Gateways.MqttGateway;
using Imv.Gateways.OpcUa.Gateway;

namespace Imv.Silo.Api;

/// <summary><c>/api/gateways</c>: the counters and state of every gateway connection this silo runs.</summary>
public static class GatewayEndpoints
{
    /// <summary>Every gateway connection of this silo: OPC UA endpoints (<see cref="OpcUaEndpointConnection.Statistics"/>)
    /// and MQTT connections (<see cref="MqttGatewayConnection.Snapshot"/>).</summary>
    public sealed record GatewayList(IReadOnlyList<OpcUaGatewayStatistics> OpcUa, IReadOnlyList<MqttGatewayStatisticsSnapshot> Mqtt);

    /// <summary>Maps the endpoints.</summary>
    public static void MapGatewayEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/gateways", (IServiceProvider services) =>
        {
            var opcUa = services.GetService<OpcUaGatewayService>()?.Connections.Select(c => c.Statistics).ToList() ?? [];
            var mqtt = services.GetService<MqttGatewayService>()?.Connections.Select(c => c.Snapshot()).ToList() ?? [];
            return Results.Ok(new GatewayList(opcUa, mqtt));
        }).Requires(Right.Read);
        app.MapGet("/api/gateways/{name}", (string name, IServiceProvider services) =>
        {
            if (services.GetService<OpcUaGatewayService>()?.Connections.FirstOrDefault(c => c.Name == name) is { } endpoint)
                return Results.Ok(new { kind = "OpcUa", statistics = endpoint.Statistics });
            if (services.GetService<MqttGatewayService>()?.Connections.FirstOrDefault(c => c.Name == name) is { } connection)
                return Results.Ok(new { kind = "Mqtt", statistics = connection.Snapshot() });
            return ApiResults.NotFound($"Unknown gateway '{name}'.", new { gateway = name });
        }).Requires(Right.Read);
    }
}
