using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.OpcUa.Tests;

/// <summary>An IPlantEventSink that records what a gateway produced and keeps each tag's current value
/// and quality with the semantics of the contract: Reconnecting turns a twin's tags Uncertain, Offline
/// turns them Bad, fresh telemetry sets them.</summary>
public sealed class CollectingSink : IPlantEventSink
{
    private readonly object _lock = new();
    private readonly Dictionary<string, TwinConnectivity> _connectivity = [];

    public ConcurrentDictionary<(string TwinId, string Tag), (TagValue Value, TagQuality Quality, DateTimeOffset At)> Tags { get; } = new();
    public ConcurrentDictionary<string, TwinDescription> Descriptions { get; } = new();
    public ConcurrentQueue<(string TwinId, string CommandId, CommandDeliveryStatus Status, string? Reason)> Outcomes { get; } = new();
    public ConcurrentQueue<(string TwinId, TwinConnectivity State, DateTimeOffset At)> ConnectivityLog { get; } = new();
    public ConcurrentQueue<(string TwinId, TagUpdate Update, DateTimeOffset At)> Log { get; } = new();
    public bool KeepLog { get; set; } = true;
    public long UpdateCount => Interlocked.Read(ref _updates);
    private long _updates;

    /// <summary>The largest batch of updates written at once.</summary>
    public int LargestBatch => Volatile.Read(ref _largestBatch);
    private int _largestBatch;

    /// <summary>Good updates that arrived while the twin was not Online (must stay 0).</summary>
    public int GoodWhileDisconnected { get; private set; }

    public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        Interlocked.Add(ref _updates, updates.Length);
        int largest;
        while (updates.Length > (largest = Volatile.Read(ref _largestBatch)) && Interlocked.CompareExchange(ref _largestBatch, updates.Length, largest) != largest) { }
        if (!KeepLog) return ValueTask.CompletedTask;
        lock (_lock)
        {
            var online = !_connectivity.TryGetValue(twinId, out var state) || state == TwinConnectivity.Online;
            foreach (var u in updates.Span)
            {
                if (!online && u.Quality == TagQuality.Good) GoodWhileDisconnected++;
                Tags[(twinId, u.Tag)] = (u.Value, u.Quality, now);
                Log.Enqueue((twinId, u, now));
            }
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken)
    {
        Descriptions[description.TwinId] = description;
        return ValueTask.CompletedTask;
    }

    public ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _connectivity[twinId] = connectivity;
            ConnectivityLog.Enqueue((twinId, connectivity, DateTimeOffset.UtcNow));
            if (connectivity is TwinConnectivity.Reconnecting or TwinConnectivity.Offline)
            {
                var quality = connectivity == TwinConnectivity.Offline ? TagQuality.Bad : TagQuality.Uncertain;
                foreach (var key in Tags.Keys.Where(k => k.TwinId == twinId).ToList())
                {
                    var current = Tags[key];
                    Tags[key] = (current.Value, quality, current.At);
                }
            }
        }
        return ValueTask.CompletedTask;
    }

    public ConcurrentQueue<(string Gateway, TwinConnectivity State, string Reason, DateTimeOffset At)> GatewayLog { get; } = new();

    public ValueTask SetGatewayConnectivityAsync(string gateway, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken)
    {
        GatewayLog.Enqueue((gateway, connectivity, reason, DateTimeOffset.UtcNow));
        return ValueTask.CompletedTask;
    }

    public ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken)
    {
        Outcomes.Enqueue((twinId, commandId, status, reason));
        return ValueTask.CompletedTask;
    }

    public TwinConnectivity StateOf(string twinId)
    {
        lock (_lock) return _connectivity.TryGetValue(twinId, out var s) ? s : TwinConnectivity.Unknown;
    }

    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for: {what}");
            await Task.Delay(20);
        }
    }
}
