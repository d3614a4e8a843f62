using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;
using Imv.Runtime;
using Imv.Runtime.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Imv.Grains.Tests.Support;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock : TimeProvider
{
    private long _ticks = new DateTimeOffset(2026, 1, 1, 8, 0, 0, TimeSpan.Zero).UtcTicks;
    public DateTimeOffset Now => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
    public override DateTimeOffset GetUtcNow() => Now;
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}

/// <summary>A gateway double: records what it was sent and answers as told.</summary>
public sealed class FakeGateway(string name) : IPlantGateway
{
    public string Name { get; } = name;
    public ConcurrentQueue<DeviceCommand> Sent { get; } = new();
    public Func<DeviceCommand, CommandDelivery> Answer { get; set; } = _ => CommandDelivery.Applied;

    /// <summary>When set, the gateway answers only once this completes.</summary>
    public Task? Hold { get; set; }

    public async ValueTask<CommandDelivery> SendAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        Sent.Enqueue(command);
        if (Hold is { } hold) await hold.WaitAsync(cancellationToken);
        return Answer(command);
    }
}

public sealed class FakeRegistry(params IPlantGateway[] gateways) : IPlantGatewayRegistry
{
    public IPlantGateway? Find(string name) => gateways.FirstOrDefault(g => g.Name == name);
}

public sealed class RecordingPublisher : IMachineStatusPublisher
{
    public ConcurrentQueue<(string Org, MachineStatus Status)> Pushed { get; } = new();

    public Task PublishAsync(IGrainFactory grainFactory, string organizationId, MachineStatus status)
    {
        Pushed.Enqueue((organizationId, status));
        return Task.CompletedTask;
    }
}

/// <summary>A test cluster with the twin grains and their doubles.</summary>
public sealed class Grid : IAsyncDisposable
{
    private Grid(TestCluster cluster) => Cluster = cluster;

    public TestCluster Cluster { get; }
    public ManualClock Clock { get; } = new();
    public FakeGateway Gateway { get; } = new("gw1");
    public RecordingPublisher Publisher { get; } = new();
    public IGrainFactory Factory => Cluster.GrainFactory;

    public static async Task<Grid> StartAsync(int silos = 2, Imv.Runtime.Storage.IGrainStorage? storage = null, bool recordStatus = true)
    {
        GrainTypeRegistry.EnsureRegistered(typeof(MachineGrain).Assembly);
        Grid? grid = null;
        var holder = new Grid[1];
        var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilos = silos,
            Storage = storage,
            ConfigureServices = s =>
            {
                s.AddSingleton<TimeProvider>(_ => holder[0].Clock);
                s.AddSingleton<IPlantGatewayRegistry>(_ => new FakeRegistry(holder[0].Gateway));
                if (recordStatus) s.AddSingleton<IMachineStatusPublisher>(_ => holder[0].Publisher);
            },
        });
        grid = new Grid(cluster);
        holder[0] = grid;
        return grid;
    }

    /// <summary>Kills (no flush) the silo that hosts the grain, as a crash would.</summary>
    public void KillOwnerOf(IAddressable grain) => Cluster.KillSilo(Cluster.OwnerOf(grain.GetGrainId()));

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}
