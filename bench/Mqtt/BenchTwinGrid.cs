using Imv.Bench.Grid;
using Imv.Gateways.Twins;
using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Bench.Mqtt;

/// <summary>The real grid behind the gateway: one Orleans silo with the machine twin and control loop grains,
/// SQLite state (write-behind, group commit window 0) in a temporary folder, and the silo's telemetry router as the gateway's sink.
/// Commands of the twins leave through the gateway registered with <see cref="UseGateway"/>.</summary>
internal sealed class BenchTwinGrid : IAsyncDisposable
{
    private readonly Registry _registry;

    private BenchTwinGrid(BenchSilo silo, Registry registry)
    {
        Silo = silo;
        _registry = registry;
        Router = new TwinTelemetryRouter(silo.Grains, NullLogger<TwinTelemetryRouter>.Instance);
    }

    public BenchSilo Silo { get; }

    public IGrainFactory Grains => Silo.Grains;

    public TwinTelemetryRouter Router { get; }

    /// <summary>Readings the twins have taken (applied, stale or duplicate).</summary>
    public long Readings
    {
        get
        {
            var s = Router.Statistics;
            return s.Applied + s.Stale + s.Duplicate;
        }
    }

    public static async Task<BenchTwinGrid> StartAsync(CancellationToken ct)
    {
        var registry = new Registry();
        // As before the port: the group commit does not wait for more writes (a loop's two state writes would
        // otherwise each wait up to the 2 ms default window).
        var silo = await BenchSilo.StartAsync("sqlite", s => s.AddSingleton<IPlantGatewayRegistry>(registry), ct, groupCommitWindow: TimeSpan.Zero);
        return new BenchTwinGrid(silo, registry);
    }

    public void UseGateway(IPlantGateway gateway) => _registry.Gateway = gateway;

    public ValueTask DisposeAsync() => Silo.DisposeAsync();

    private sealed class Registry : IPlantGatewayRegistry
    {
        public IPlantGateway? Gateway { get; set; }

        public IPlantGateway? Find(string name) => Gateway is { } g && g.Name == name ? g : null;
    }
}
