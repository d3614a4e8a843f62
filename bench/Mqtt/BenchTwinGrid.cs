using Imv.Gateways.Twins;
using Imv.Grains.Interfaces.Plant;
using Imv.Runtime;
using Imv.Runtime.Storage.Sqlite;
using Imv.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Bench.Mqtt;

/// <summary>The real grid behind the gateway: one silo with the machine twin and control loop grains, SQLite
/// state with group commit in a temporary folder, and the silo's telemetry router as the gateway's sink.
/// Commands of the twins leave through the gateway registered with <see cref="UseGateway"/>.</summary>
internal sealed class BenchTwinGrid : IAsyncDisposable
{
    private readonly DirectoryInfo _dir;
    private readonly SqliteGrainStorage _storage;
    private readonly Registry _registry = new();

    private BenchTwinGrid(DirectoryInfo dir, SqliteGrainStorage storage, TestCluster cluster)
    {
        _dir = dir;
        _storage = storage;
        Cluster = cluster;
        Router = new TwinTelemetryRouter(cluster.Silos[0], NullLogger<TwinTelemetryRouter>.Instance);
    }

    public TestCluster Cluster { get; }

    public IGrainFactory Grains => Cluster.Silos[0];

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
        var dir = Directory.CreateTempSubdirectory("imv-mqtt-bench-");
        var storage = new SqliteGrainStorage(new SqliteStorageOptions { Path = Path.Combine(dir.FullName, "grid.db"), GroupCommitWindow = TimeSpan.Zero });
        BenchTwinGrid? grid = null;
        var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilos = 1,
            Storage = storage,
            ConfigureServices = s => s.AddSingleton<IPlantGatewayRegistry>(_ => grid!._registry),
        }, ct);
        grid = new BenchTwinGrid(dir, storage, cluster);
        return grid;
    }

    public void UseGateway(IPlantGateway gateway) => _registry.Gateway = gateway;

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await _storage.DisposeAsync();
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }

    private sealed class Registry : IPlantGatewayRegistry
    {
        public IPlantGateway? Gateway { get; set; }

        public IPlantGateway? Find(string name) => Gateway is { } g && g.Name == name ? g : null;
    }
}
