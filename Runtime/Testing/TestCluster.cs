using Imv.Runtime.Hosting;
using Imv.Runtime.Messaging;
using Imv.Runtime.Placement;
using Imv.Runtime.Reminders;
using Imv.Runtime.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Runtime.Testing;

/// <summary>An in-process cluster of silos joined by an in-memory transport and membership, sharing one
/// storage and reminder table: grains are placed across silos by partition, and calls between silos are
/// encoded and decoded as they would be on a network. Silos can be added, stopped, killed and restarted
/// during a test. Use it directly or from an xunit fixture.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly TestClusterOptions _options;
    private readonly List<SiloRuntime> _silos = [];
    private readonly List<ServiceProvider> _providers = [];
    private InMemoryClusterMembership _membership = null!;
    private readonly InMemorySiloTransport _transport = new();
    private readonly ClusterClient _client;
    private int _nextSilo;

    private TestCluster(TestClusterOptions options)
    {
        _options = options;
        Storage = options.Storage ?? new MemoryGrainStorage();
        ReminderTable = options.ReminderTable ?? new MemoryReminderTable();
        _client = new ClusterClient(this);
    }

    /// <summary>Starts a cluster.</summary>
    public static async Task<TestCluster> StartAsync(TestClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        var cluster = new TestCluster(options ?? new TestClusterOptions());
        long generation = cluster.Storage is IClusterGenerationSource source ? source.NextGeneration() : 0;
        cluster._membership = new InMemoryClusterMembership(cluster._options.PartitionCount, generation);
        for (int i = 0; i < cluster._options.InitialSilos; i++) await cluster.AddSiloAsync(cancellationToken).ConfigureAwait(false);
        return cluster;
    }

    /// <summary>A client of the cluster: calls go through any live silo, so references stay usable when a silo dies.</summary>
    public IGrainFactory GrainFactory => _client;

    /// <summary>The live silos.</summary>
    public IReadOnlyList<SiloRuntime> Silos
    {
        get { lock (_silos) return _silos.ToArray(); }
    }

    /// <summary>The shared default storage.</summary>
    public IGrainStorage Storage { get; }

    /// <summary>The shared reminder table.</summary>
    public IReminderTable ReminderTable { get; }

    /// <summary>The current partition table.</summary>
    public PartitionTable PartitionTable => _membership.Table;

    /// <summary>The silo that owns <paramref name="grainId"/>'s partition.</summary>
    public SiloRuntime OwnerOf(GrainId grainId)
    {
        var table = _membership.Table;
        var name = table.Owners[table.PartitionOf(grainId)];
        return Silos.First(s => s.Name == name);
    }

    /// <summary>Starts one more silo (named silo-N); partitions rebalance to it.</summary>
    public Task<SiloRuntime> AddSiloAsync(CancellationToken cancellationToken = default) =>
        StartSiloAsync("silo-" + Interlocked.Increment(ref _nextSilo), cancellationToken);

    /// <summary>Stops a silo gracefully (its grains deactivate and flush) and removes it.</summary>
    public async Task StopSiloAsync(SiloRuntime silo, CancellationToken cancellationToken = default)
    {
        lock (_silos) _silos.Remove(silo);
        await silo.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Kills a silo as a crash would: nothing is flushed; its partitions move to the others.</summary>
    public void KillSilo(SiloRuntime silo)
    {
        lock (_silos) _silos.Remove(silo);
        silo.Kill();
    }

    /// <summary>Stops a silo and starts a new one with the same name.</summary>
    public async Task<SiloRuntime> RestartSiloAsync(SiloRuntime silo, CancellationToken cancellationToken = default)
    {
        await StopSiloAsync(silo, cancellationToken).ConfigureAwait(false);
        return await StartSiloAsync(silo.Name, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SiloRuntime> StartSiloAsync(string name, CancellationToken cancellationToken)
    {
        var siloOptions = new SiloOptions { Name = name, PartitionCount = _options.PartitionCount, DefaultStorage = "Memory" };
        _options.ConfigureSilo?.Invoke(siloOptions);
        siloOptions.Name = name;
        siloOptions.PartitionCount = _options.PartitionCount;
        SiloRuntime? created = null;
        var services = new ServiceCollection();
        services.AddSingleton(_options.LoggerFactory ?? NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton<IGrainFactory>(_ => created!);
        _options.ConfigureServices?.Invoke(services);
        var provider = services.BuildServiceProvider();
        var storage = new Dictionary<string, IGrainStorage>(_options.NamedStorage, StringComparer.Ordinal) { ["default"] = Storage };
        created = new SiloRuntime(siloOptions, provider, provider.GetRequiredService<ILoggerFactory>(), _membership, _transport, storage, ReminderTable);
        await created.StartAsync(cancellationToken).ConfigureAwait(false);
        lock (_silos)
        {
            _silos.Add(created);
            _providers.Add(provider);
        }
        return created;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var silo in Silos) await StopSiloAsync(silo).ConfigureAwait(false);
        foreach (var p in _providers) await p.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Routes calls from outside the cluster through a live silo.</summary>
    private sealed class ClusterClient(TestCluster cluster) : IGrainFactory, IGrainReferenceRuntime
    {
        private SiloRuntime Gateway => cluster.Silos.FirstOrDefault()
            ?? throw new SiloUnavailableException("The test cluster has no live silo.");

        public IGrainFactory GrainFactory => this;

        public void SendRequest(GrainReference target, Message request) => Gateway.SendRequest(target, request);

        public TGrainInterface GetGrain<TGrainInterface>(string primaryKey) where TGrainInterface : IGrainWithStringKey => Rebind(Gateway.GetGrain<TGrainInterface>(primaryKey));

        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey) where TGrainInterface : IGrainWithGuidKey => Rebind(Gateway.GetGrain<TGrainInterface>(primaryKey));

        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey) where TGrainInterface : IGrainWithIntegerKey => Rebind(Gateway.GetGrain<TGrainInterface>(primaryKey));

        public TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(TGrainObserverInterface obj) where TGrainObserverInterface : IGrainObserver =>
            Gateway.CreateObjectReference(obj);

        public void DeleteObjectReference<TGrainObserverInterface>(TGrainObserverInterface reference) where TGrainObserverInterface : IGrainObserver
        {
            foreach (var silo in cluster.Silos) silo.DeleteObjectReference(reference);
        }

        private TGrainInterface Rebind<TGrainInterface>(TGrainInterface reference)
        {
            var r = (GrainReference)(object)reference!;
            return (TGrainInterface)(object)GrainTypeRegistry.GetInterface(typeof(TGrainInterface)).ProxyFactory(this, r.GrainId);
        }
    }
}
