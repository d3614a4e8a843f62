using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>An IPlantEventSink that keeps what a gateway produced, applying the contract's rules: Offline turns
/// every tag Bad, Reconnecting turns them Uncertain.</summary>
public sealed class CollectingSink : IPlantEventSink
{
    public sealed class Twin
    {
        public readonly object Lock = new();
        public Dictionary<string, TagUpdate> Tags { get; } = new(StringComparer.Ordinal);
        public TwinDescription? Description { get; set; }
        public TwinConnectivity Connectivity { get; set; }
        public string? Reason { get; set; }
        public int Descriptions { get; set; }
        public int TelemetryCalls { get; set; }
        public long Updates { get; set; }
    }

    public ConcurrentDictionary<string, Twin> Twins { get; } = new(StringComparer.Ordinal);
    public ConcurrentQueue<(string TwinId, string CommandId, CommandDeliveryStatus Status, string? Reason)> Outcomes { get; } = new();
    public long TelemetryCalls => Twins.Values.Sum(t => (long)t.TelemetryCalls);
    public long Updates => Twins.Values.Sum(t => t.Updates);

    private Twin Get(string twinId) => Twins.GetOrAdd(twinId, _ => new Twin());

    /// <summary>True: readings written under a receipt are kept "not yet stored" until <see cref="ReleaseReceipts"/>.</summary>
    public bool HoldReceipts { get; set; }
    private readonly ConcurrentQueue<TelemetryReceipt> _heldReceipts = new();
    public int HeldReceiptCount => _heldReceipts.Count;

    public void ReleaseReceipts()
    {
        while (_heldReceipts.TryDequeue(out var receipt)) receipt.Exit();
    }

    public async ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, TelemetryReceipt receipt, CancellationToken cancellationToken)
    {
        receipt.Enter();
        await WriteTelemetryAsync(twinId, updates, cancellationToken);
        if (HoldReceipts) _heldReceipts.Enqueue(receipt);
        else receipt.Exit();
    }

    public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken)
    {
        var twin = Get(twinId);
        lock (twin.Lock)
        {
            twin.TelemetryCalls++;
            twin.Updates += updates.Length;
            foreach (var u in updates.Span) twin.Tags[u.Tag] = u;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken)
    {
        var twin = Get(description.TwinId);
        lock (twin.Lock)
        {
            twin.Description = description;
            twin.Descriptions++;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken)
    {
        var twin = Get(twinId);
        lock (twin.Lock)
        {
            twin.Connectivity = connectivity;
            twin.Reason = reason;
            var quality = connectivity switch { TwinConnectivity.Offline => TagQuality.Bad, TwinConnectivity.Reconnecting => TagQuality.Uncertain, _ => (TagQuality?)null };
            if (quality is { } q)
                foreach (var key in twin.Tags.Keys.ToList()) twin.Tags[key] = twin.Tags[key] with { Quality = q };
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken)
    {
        Outcomes.Enqueue((twinId, commandId, status, reason));
        return ValueTask.CompletedTask;
    }

    public TagUpdate? Tag(string twinId, string tag)
    {
        if (!Twins.TryGetValue(twinId, out var twin)) return null;
        lock (twin.Lock) return twin.Tags.TryGetValue(tag, out var u) ? u : null;
    }

    public TwinConnectivity Connectivity(string twinId) => Twins.TryGetValue(twinId, out var twin) ? twin.Connectivity : TwinConnectivity.Unknown;

    public bool AllTagsHaveQuality(string twinId, TagQuality quality)
    {
        if (!Twins.TryGetValue(twinId, out var twin)) return false;
        lock (twin.Lock) return twin.Tags.Count > 0 && twin.Tags.Values.All(t => t.Quality == quality);
    }
}
