using System.Collections.Concurrent;
using Imv.Gateways.MqttGateway;
using Imv.Gateways.OpcUa.Gateway;
using Imv.Gateways.Simulation;
using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.Options;

namespace Imv.Silo.Cluster;

/// <summary>The gateway connections this silo may run, started and stopped one by one by their
/// <see cref="GatewayOwnerGrain"/>: the simulated plant (when <c>Simulator:Enabled</c>), every MQTT connection
/// (<c>Gateways:Mqtt</c>) and every OPC UA endpoint (<c>Gateways:OpcUa</c>). Every silo of a cluster has the same
/// gateway configuration; only the owner's silo connects.</summary>
internal sealed class LocalGatewayHost(
    SimulatedPlant plant,
    IOptions<SimulatorOptions> simulator,
    MqttGatewayService mqtt,
    OpcUaGatewayService opcUa,
    IPlantEventSink sink,
    ILoggerFactory loggers)
{
    private readonly ConcurrentDictionary<string, SimulatedPlantService> _simulators = new(StringComparer.Ordinal);

    /// <summary>Every configured connection's name.</summary>
    public IReadOnlyList<string> ConfiguredNames { get; } =
        [.. (simulator.Value.Enabled ? [plant.Name] : Array.Empty<string>()), .. mqtt.ConfiguredNames, .. opcUa.ConfiguredNames];

    /// <summary>Starts the connection <paramref name="name"/> here (nothing when it already runs here). Runs on the
    /// thread pool: the owner grain calls it from its activation, and a connection's loops must not run as turns of
    /// that grain.</summary>
    public Task StartAsync(string name, CancellationToken cancellationToken) => Task.Run(() => StartHereAsync(name, cancellationToken), cancellationToken);

    /// <summary>Stops the connection <paramref name="name"/> if it runs here (on the thread pool, as it started).</summary>
    public Task StopAsync(string name, CancellationToken cancellationToken) => Task.Run(() => StopHereAsync(name, cancellationToken), CancellationToken.None);

    private async Task StartHereAsync(string name, CancellationToken cancellationToken)
    {
        if (IsSimulator(name))
        {
            var service = new SimulatedPlantService(plant, loggers.CreateLogger<SimulatedPlantService>());
            if (_simulators.TryAdd(name, service)) await service.StartAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        if (mqtt.ConfiguredNames.Contains(name, StringComparer.Ordinal)) await mqtt.StartOneAsync(name, sink, cancellationToken).ConfigureAwait(false);
        else if (opcUa.ConfiguredNames.Contains(name, StringComparer.Ordinal)) await opcUa.StartOneAsync(name, sink, cancellationToken).ConfigureAwait(false);
        else throw new ArgumentException($"No gateway connection '{name}' is configured on this silo.", nameof(name));
    }

    private async Task StopHereAsync(string name, CancellationToken cancellationToken)
    {
        if (_simulators.TryRemove(name, out var service))
        {
            await service.StopAsync(cancellationToken).ConfigureAwait(false);
            service.Dispose();
            return;
        }
        await mqtt.StopOneAsync(name, cancellationToken).ConfigureAwait(false);
        await opcUa.StopOneAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The connection <paramref name="name"/> when it runs on this silo; null otherwise.</summary>
    public IPlantGateway? Find(string name) =>
        _simulators.ContainsKey(name) ? plant
        : mqtt.FindGateway(name) ?? opcUa.Gateways.FirstOrDefault(g => g.Name == name);

    private bool IsSimulator(string name) => simulator.Value.Enabled && name == plant.Name;
}
