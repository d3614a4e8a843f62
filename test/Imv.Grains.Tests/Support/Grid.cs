using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Reminders;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.TestingHost;

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

/// <summary>An Orleans in-process test cluster with the twin grains and their doubles: a manual clock as the
/// silos' <see cref="TimeProvider"/>, a fake gateway, a status recorder, and storage and reminders shared by
/// every silo (<see cref="SharedTestStorage"/>) or, for one silo, the real SQLite provider.</summary>
public sealed class Grid : IAsyncDisposable
{
    /// <summary>The shortest reminder period grains may ask for (as the main silo sets it).</summary>
    public static readonly TimeSpan MinimumReminderPeriod = TimeSpan.FromSeconds(5);

    /// <summary>How long a call waits for its answer (a deadlock shows as a timeout this long).</summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(15);

    private Grid(InProcessTestCluster cluster, ManualClock clock, FakeGateway gateway, RecordingPublisher publisher, SharedTestStorage? storage)
    {
        Cluster = cluster;
        Clock = clock;
        Gateway = gateway;
        Publisher = publisher;
        Storage = storage;
    }

    public InProcessTestCluster Cluster { get; }
    public ManualClock Clock { get; }
    public FakeGateway Gateway { get; }
    public RecordingPublisher Publisher { get; }

    /// <summary>The shared storage (null when the grid runs on SQLite).</summary>
    public SharedTestStorage? Storage { get; }

    public IGrainFactory Factory => Cluster.Client;
    public IGrainFactory GrainFactory => Cluster.Client;
    public IReadOnlyList<InProcessSiloHandle> Silos => Cluster.Silos;

    /// <summary>Starts a grid. <paramref name="recordStatus"/> false: no <see cref="IMachineStatusPublisher"/> is
    /// registered, so twins report to their organization grain themselves. <paramref name="sqlitePath"/>: grain
    /// storage and reminders on that SQLite file (one silo: a file has one owner).</summary>
    public static async Task<Grid> StartAsync(int silos = 2, SharedTestStorage? storage = null, bool recordStatus = true,
        string? sqlitePath = null, Action<ISiloBuilder>? configure = null, bool manualClock = true)
    {
        if (sqlitePath is not null && silos != 1) throw new ArgumentException("A SQLite file has one owner: one silo.", nameof(silos));
        var clock = new ManualClock();
        var gateway = new FakeGateway("gw1");
        var publisher = new RecordingPublisher();
        var registry = new FakeRegistry(gateway);
        if (sqlitePath is null) storage ??= new SharedTestStorage();
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            if (manualClock) silo.Services.AddSingleton<TimeProvider>(clock);
            // The grains read the manual clock (the unkeyed TimeProvider); Orleans' own areas keep real time, so
            // membership, timers and reminders behave as in production while a test moves the grains' clock.
            foreach (var area in (string[])[TimeProviderNames.Grains, TimeProviderNames.Messaging, TimeProviderNames.SystemTimers,
                         TimeProviderNames.Membership, TimeProviderNames.ActivationManagement, TimeProviderNames.GrainDirectory, ReminderTimeProviderNames.Reminders])
                silo.Services.AddKeyedSingleton<TimeProvider>(area, TimeProvider.System);
            silo.Services.AddSingleton<IPlantGatewayRegistry>(registry);
            if (recordStatus) silo.Services.AddSingleton<IMachineStatusPublisher>(publisher);
            if (sqlitePath is not null) silo.UseSqlite(o => o.Path = sqlitePath);
            else
            {
                silo.Services.AddGrainStorage("Default", (sp, _) => new SharedTestGrainStorage(storage!, sp.GetRequiredService<Serializer>()));
                silo.Services.AddReminders();
                silo.Services.AddSingleton<IReminderTable>(storage!.Reminders);
            }
            silo.Configure<ReminderOptions>(o =>
            {
                o.MinimumReminderPeriod = MinimumReminderPeriod;
                o.RefreshReminderListPeriod = TimeSpan.FromSeconds(1);
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout);
            // A killed silo is declared dead within a few seconds (Orleans' defaults take about 15 s).
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
            configure?.Invoke(silo);
        });
        builder.ConfigureClient(client =>
        {
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout);
            // Restarted silos listen on new ports: the client learns them within a second.
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(1));
        });
        var cluster = builder.Build();
        try { await cluster.DeployAsync(); }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
        return new Grid(cluster, clock, gateway, publisher, storage);
    }

    /// <summary>The silo where the grain is active; throws when it is active nowhere.</summary>
    public InProcessSiloHandle SiloOf(IAddressable grain)
    {
        if (!Cluster.TryGetGrainContext(grain.GetGrainId(), out var context))
            throw new InvalidOperationException($"{grain.GetGrainId()} is not active on any silo.");
        var address = context.Address.SiloAddress;
        return Cluster.Silos.First(s => s.SiloAddress.Equals(address));
    }

    /// <summary>Kills (no graceful deactivation, no flush) the silo that hosts the grain, as a crash would, and
    /// waits until the cluster declared it dead.</summary>
    public async Task KillOwnerOfAsync(IAddressable grain)
    {
        var silo = SiloOf(grain);
        await Cluster.KillSiloAsync(silo);
        await WaitUntilDeadAsync(silo.SiloAddress);
    }

    /// <summary>Stops the silo that hosts the grain gracefully and starts a new one in its place.</summary>
    public async Task RestartOwnerOfAsync(IAddressable grain)
    {
        await Cluster.RestartSiloAsync(SiloOf(grain));
        await WaitUntilClientConnectedAsync();
    }

    /// <summary>Restarts every silo, one after the other (gracefully), and waits until the client reaches the new ones.</summary>
    public async Task RestartAllSilosAsync()
    {
        foreach (var silo in Cluster.Silos.ToList()) await Cluster.RestartSiloAsync(silo);
        await WaitUntilClientConnectedAsync();
    }

    /// <summary>Waits until a call from the client reaches the cluster and every silo is active.</summary>
    private async Task WaitUntilClientConnectedAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var management = Factory.GetGrain<IManagementGrain>(0);
        while (true)
        {
            try
            {
                var hosts = await management.GetHosts(onlyActive: true);
                if (hosts.Count == Cluster.Silos.Count) return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("The client did not reach the restarted silos within 30 s.");
            await Task.Delay(50);
        }
    }

    /// <summary>Kills every silo (nothing is deactivated or flushed).</summary>
    public async Task KillAllSilosAsync()
    {
        foreach (var silo in Cluster.Silos.ToList()) await Cluster.KillSiloAsync(silo);
    }

    /// <summary>Stops every silo gracefully.</summary>
    public Task StopAllSilosAsync() => Cluster.StopAllSilosAsync();

    private async Task WaitUntilDeadAsync(SiloAddress dead)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var management = Factory.GetGrain<IManagementGrain>(0);
        while (true)
        {
            try
            {
                var hosts = await management.GetHosts(onlyActive: true);
                if (!hosts.ContainsKey(dead)) return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Silo {dead} was not declared dead within 30 s.");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
