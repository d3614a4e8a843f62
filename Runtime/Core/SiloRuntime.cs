using System.Collections.Concurrent;
using System.Diagnostics;
using Imv.Runtime.Diagnostics;
using Imv.Runtime.Hosting;
using Imv.Runtime.Messaging;
using Imv.Runtime.Placement;
using Imv.Runtime.Reminders;
using Imv.Runtime.Serialization;
using Imv.Runtime.Storage;
using Imv.Runtime.Streams;
using Microsoft.Extensions.Logging;

namespace Imv.Runtime;

/// <summary>One silo: routes every call (local or remote, the same path), owns the activations of the
/// partitions leased to it, and hosts timers, reminders, streams and observers. It is the grain factory
/// and the reference runtime of everything running in it.</summary>
public sealed partial class SiloRuntime : IGrainFactory, IGrainReferenceRuntime, IAsyncDisposable
{
    private readonly IClusterMembership _membership;
    private readonly ISiloTransport _transport;
    private readonly ConcurrentDictionary<long, Message> _remoteCallbacks = new();
    private readonly ConcurrentDictionary<string, ActivationData> _observers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IGrainStorage> _storage;
    private readonly Dictionary<string, IStreamProvider> _streamProviders = new(StringComparer.Ordinal);
    private readonly PendingCallTracker _tracker;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly long _defaultTimeoutTicks;
    private PartitionTable _table;
    private long _nextCorrelation;
    private Timer? _collector;
    private bool _stopped;

    /// <summary>Creates a silo; call <see cref="StartAsync"/> before use.</summary>
    public SiloRuntime(SiloOptions options, IServiceProvider services, ILoggerFactory loggerFactory,
        IClusterMembership membership, ISiloTransport transport, IReadOnlyDictionary<string, IGrainStorage> storage,
        IReminderTable reminderTable)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Name = options.Name;
        Services = services;
        Log = new RuntimeLog(loggerFactory.CreateLogger("Imv.Runtime.Silo"));
        Metrics = new RuntimeMetrics(Name);
        Session = new SerializerSession(this);
        _membership = membership;
        _transport = transport;
        _storage = new Dictionary<string, IGrainStorage>(storage, StringComparer.Ordinal);
        if (!_storage.ContainsKey("default"))
            throw new ArgumentException("The silo needs a storage provider named 'default'.", nameof(storage));
        _tracker = new PendingCallTracker(TimeSpan.FromMilliseconds(100));
        _defaultTimeoutTicks = (long)(options.DefaultCallTimeout.TotalSeconds * Stopwatch.Frequency);
        _table = membership.Table;
        Catalog = new Catalog(this);
        Reminders = new ReminderService(this, reminderTable);
        _streamProviders["memory"] = new MemoryStreamProvider("memory", this);
    }

    /// <summary>The silo's name.</summary>
    public string Name { get; }

    /// <summary>The silo's options.</summary>
    public SiloOptions Options { get; }

    /// <summary>The host's services (grain constructors draw from them).</summary>
    public IServiceProvider Services { get; }

    internal RuntimeLog Log { get; }

    internal RuntimeMetrics Metrics { get; }

    internal SerializerSession Session { get; }

    internal Catalog Catalog { get; }

    internal ReminderService Reminders { get; }

    internal CancellationToken ShutdownToken => _shutdown.Token;

    /// <summary>The number of live activations in this silo.</summary>
    public int ActivationCount => Catalog.Count;

    IGrainFactory IGrainReferenceRuntime.GrainFactory => this;

    /// <summary>Joins the cluster and starts reminders and collection.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        GrainTypeRegistry.RegisterApplicationAssemblies();
        _membership.TableChanged += OnTableChanged;
        _transport.Register(Name, OnTransportMessage);
        _membership.Join(Name);
        _table = _membership.Table;
        await Reminders.StartAsync(cancellationToken).ConfigureAwait(false);
        _collector = new Timer(static s => ((SiloRuntime)s!).Collect(), this, Options.CollectionQuantum, Options.CollectionQuantum);
        Log.SiloStarted(Name, Options.PartitionCount, Options.DefaultStorage);
    }

    /// <summary>Leaves the cluster gracefully: deactivates every grain (flushing state) first.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopped) return;
        _stopped = true;
        _collector?.Dispose();
        Reminders.Stop();
        _membership.TableChanged -= OnTableChanged;
        _membership.Leave(Name);
        var all = Catalog.All().ToList();
        await Task.WhenAll(all.Select(a => a.DeactivateAsync(new DeactivationReason(DeactivationReasonCode.ShuttingDown, "silo stopping")))).WaitAsync(cancellationToken).ConfigureAwait(false);
        _transport.Unregister(Name);
        _shutdown.Cancel();
        FailRemoteCallbacks(null);
        Log.SiloStopped(Name, all.Count);
    }

    /// <summary>Stops at once, as a crash would: no deactivation, no flush, pending calls to it fail.</summary>
    public void Kill()
    {
        if (_stopped) return;
        _stopped = true;
        _collector?.Dispose();
        Reminders.Stop();
        _transport.Unregister(Name);
        _membership.TableChanged -= OnTableChanged;
        _shutdown.Cancel();
        foreach (var activation in Catalog.All()) activation.Abandon();
        Catalog.Clear();
        _membership.Leave(Name);
    }

    /// <summary>Stops the silo if it still runs and releases its timers and meters.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stopped) await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _tracker.Dispose();
        Metrics.Dispose();
        // Storage belongs to whoever created it (the host, the test cluster): silos may share it.
    }

    internal IGrainStorage GetStorage(string? name)
    {
        if (_storage.TryGetValue(name ?? "default", out var storage)) return storage;
        throw new InvalidOperationException($"No grain storage provider named '{name}' is configured in silo {Name}.");
    }

    internal IStreamProvider GetStreamProvider(string name) =>
        _streamProviders.TryGetValue(name, out var provider) ? provider
            : throw new InvalidOperationException($"No stream provider named '{name}' is configured in silo {Name} (known: {string.Join(", ", _streamProviders.Keys)}).");

    /// <summary>Adds a named stream provider.</summary>
    public void AddStreamProvider(IStreamProvider provider) => _streamProviders[provider.Name] = provider;

    // ---- IGrainFactory ----

    /// <inheritdoc />
    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey) where TGrainInterface : IGrainWithStringKey
    {
        ArgumentNullException.ThrowIfNull(primaryKey);
        return CreateReference<TGrainInterface>(primaryKey);
    }

    /// <inheritdoc />
    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey) where TGrainInterface : IGrainWithGuidKey =>
        CreateReference<TGrainInterface>(primaryKey.ToString("N"));

    /// <inheritdoc />
    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey) where TGrainInterface : IGrainWithIntegerKey =>
        CreateReference<TGrainInterface>(primaryKey.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private TGrainInterface CreateReference<TGrainInterface>(string key)
    {
        var iface = GrainTypeRegistry.GetInterface(typeof(TGrainInterface));
        var grainClass = GrainTypeRegistry.GetClassForInterface(typeof(TGrainInterface));
        return (TGrainInterface)(object)iface.ProxyFactory(this, new GrainId(grainClass.GrainType, key));
    }

    /// <inheritdoc />
    public TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(TGrainObserverInterface obj) where TGrainObserverInterface : IGrainObserver
    {
        ArgumentNullException.ThrowIfNull(obj);
        var iface = GrainTypeRegistry.GetInterface(typeof(TGrainObserverInterface));
        var id = new GrainId(ObserverType, Name + "/" + Guid.NewGuid().ToString("N"));
        _observers[id.Key] = ActivationData.ForObserver(this, id, obj);
        return (TGrainObserverInterface)(object)iface.ProxyFactory(this, id);
    }

    /// <inheritdoc />
    public void DeleteObjectReference<TGrainObserverInterface>(TGrainObserverInterface reference) where TGrainObserverInterface : IGrainObserver
    {
        if (reference is GrainReference r) _observers.TryRemove(r.GrainId.Key, out _);
    }

    internal const string ObserverType = "$observer";

    // ---- Routing ----

    /// <inheritdoc />
    public void SendRequest(GrainReference target, Message request)
    {
        request.TargetId = target.GrainId;
        // A grain's call carries its chain, so a call coming back to it while it waits runs at once (call-chain
        // reentrancy). A one-way call does not: its sender does not wait, so nothing it starts is reentrant.
        var current = RuntimeContext.CurrentActivation;
        if (current is not null && (request.Flags & MessageFlags.OneWay) == 0 && RuntimeContext.CurrentMessage is { } parent)
            request.CallChain = new CallChain(current.GrainId, current.MarkWaiting(parent), parent.CallChain);
        long timeout = CallTimeout.Current is { } overridden ? (long)(overridden.TotalSeconds * Stopwatch.Frequency) : _defaultTimeoutTicks;
        long now = Stopwatch.GetTimestamp();
        request.Deadline = now + timeout;
        if (Metrics.CallDurationEnabled) request.SentAt = now;
        if (Activity.Current is { } caller) request.TraceParent = caller.Context;
        Metrics.CallQueued();
        if ((request.Flags & MessageFlags.OneWay) == 0) request.Track(_tracker);
        if (target.CachedActivation is { } cached && cached.IsValidHere(this))
        {
            cached.Enqueue(request);
            return;
        }
        Route(request, target);
    }

    /// <summary>Delivers a message to the activation that owns its target, here or in another silo.</summary>
    internal void Route(Message message) => Route(message, null);

    private void Route(Message message, GrainReference? reference)
    {
        var target = message.TargetId;
        if (target.Type is null || target.Key is null)
        {
            message.Fail(new InvalidOperationException($"Call {message.MethodName} has no target grain id."));
            return;
        }
        if (target.Type == ObserverType)
        {
            RouteToObserver(message);
            return;
        }
        var classInfo = reference?.CachedClass ?? GrainTypeRegistry.FindClass(target.Type);
        if (classInfo is null)
        {
            message.Fail(new InvalidOperationException($"No grain class with grain type '{target.Type}' is registered (call {message.MethodName} to {target})."));
            return;
        }
        if (classInfo.IsStatelessWorker)
        {
            Catalog.GetStatelessWorker(target, classInfo).Enqueue(message);
            return;
        }
        var table = Volatile.Read(ref _table);
        int partition = table.PartitionOf(target);
        var owner = table.Owners[partition];
        if (reference is not null) reference.CachedClass = classInfo;
        if (owner == Name)
        {
            var activation = Catalog.GetOrCreate(target, classInfo, table.Epochs[partition]);
            if (reference is not null) reference.CachedActivation = activation;
            activation.Enqueue(message);
            return;
        }
        if (_stopped)
        {
            message.Fail(new SiloUnavailableException($"Silo {Name} is stopped; call {message.MethodName} to {target} was not sent."));
            return;
        }
        SendRemote(owner, message);
    }

    private void RouteToObserver(Message message)
    {
        var key = message.TargetId.Key;
        if (_observers.TryGetValue(key, out var observer)) { observer.Enqueue(message); return; }
        int slash = key.IndexOf('/');
        var silo = slash > 0 ? key[..slash] : "";
        if (silo != Name && silo.Length > 0) { SendRemote(silo, message); return; }
        message.Fail(new InvalidOperationException($"Observer {message.TargetId} is no longer registered (call {message.MethodName})."));
    }

    private void OnTableChanged(PartitionTable table)
    {
        Volatile.Write(ref _table, table);
        // Hand over partitions that moved away: deactivate their grains (flushing state); calls that arrive
        // meanwhile are re-routed to the new owner.
        foreach (var activation in Catalog.All())
        {
            int p = table.PartitionOf(activation.GrainId);
            if (!activation.ClassInfo.IsStatelessWorker && table.Owners[p] != Name)
                _ = activation.DeactivateAsync(new DeactivationReason(DeactivationReasonCode.PartitionMoved, $"partition {p} moved to {table.Owners[p]}"));
        }
        FailRemoteCallbacks(table);
        Reminders.OnTableChanged(table);
    }

    /// <summary>The partition table this silo routes by.</summary>
    internal PartitionTable Table => Volatile.Read(ref _table);

    internal bool OwnsPartitionOf(GrainId id)
    {
        var table = Volatile.Read(ref _table);
        return table.Owners[table.PartitionOf(id)] == Name;
    }

    private void Collect()
    {
        try
        {
            long ageMs = (long)Options.CollectionAge.TotalMilliseconds;
            long now = Environment.TickCount64;
            int collected = 0;
            foreach (var a in Catalog.All())
            {
                if (now - a.LastActivity > ageMs && a.IsIdle)
                {
                    _ = a.DeactivateAsync(new DeactivationReason(DeactivationReasonCode.IdleTimeout, "idle"));
                    collected++;
                }
            }
            if (collected > 0) Log.Collected(collected, "idle");
            int overLimit = Options.MaxActivations > 0 ? Catalog.Count - Options.MaxActivations : 0;
            var memory = GC.GetGCMemoryInfo();
            bool pressure = memory.HighMemoryLoadThresholdBytes > 0 &&
                memory.MemoryLoadBytes * 100 / Math.Max(1, memory.TotalAvailableMemoryBytes) >= Options.MemoryPressurePercent;
            if (pressure) overLimit = Math.Max(overLimit, Catalog.Count / 10);
            if (overLimit > 0) CollectLeastRecentlyUsed(overLimit, pressure ? "memory pressure" : "activation limit");
        }
        catch (Exception e)
        {
            Log.ActivationFailed(e, new GrainId("$collector", Name));
        }
    }

    /// <summary>Deactivates the <paramref name="count"/> least recently used idle activations.</summary>
    internal int CollectLeastRecentlyUsed(int count, string reason)
    {
        var victims = Catalog.All().Where(a => a.IsIdle).OrderBy(a => a.LastActivity).Take(count).ToList();
        foreach (var a in victims) _ = a.DeactivateAsync(new DeactivationReason(DeactivationReasonCode.ActivationLimit, reason));
        if (victims.Count > 0) Log.Collected(victims.Count, reason);
        return victims.Count;
    }

    /// <summary>Runs the idle and limit collection now (tests, diagnostics).</summary>
    public void CollectNow() => Collect();
}

/// <summary>The silo that owns a grain cannot be reached (stopped or killed); the call was not delivered
/// or its answer was lost. Calling again routes to the partition's new owner.</summary>
public sealed class SiloUnavailableException(string message) : Exception(message);

/// <summary>Overrides the call timeout for calls started on this thread inside a scope:
/// <c>using (CallTimeout.Override(TimeSpan.FromSeconds(2))) { var t = grain.DoAsync(); await t; }</c>.
/// The call must start inside the scope (before the first await).</summary>
public static class CallTimeout
{
    [ThreadStatic] private static TimeSpan? _current;

    /// <summary>The override in force on this thread, if any.</summary>
    public static TimeSpan? Current => _current;

    /// <summary>Starts a scope; dispose it to end the override.</summary>
    public static IDisposable Override(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "Call timeout must be positive.");
        var previous = _current;
        _current = timeout;
        return new Scope(previous);
    }

    private sealed class Scope(TimeSpan? previous) : IDisposable
    {
        public void Dispose() => _current = previous;
    }
}
