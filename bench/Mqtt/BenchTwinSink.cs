using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Bench.Mqtt;

/// <summary>Twin state in memory: one dictionary of tag values per twin, updated from the gateway's batches.
/// Stands in for the twin grains until they exist. An optional reaction runs on every applied batch
/// (the in-process control loop of the latency measurement).</summary>
internal sealed class BenchTwinSink : IPlantEventSink
{
    private readonly ConcurrentDictionary<string, Dictionary<string, TagUpdate>> _twins = new(StringComparer.Ordinal);
    private long _updates;

    public long Updates => Interlocked.Read(ref _updates);

    public Action<string, ReadOnlyMemory<TagUpdate>>? OnTelemetry { get; set; }

    public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken)
    {
        var state = _twins.GetOrAdd(twinId, _ => new Dictionary<string, TagUpdate>(StringComparer.Ordinal));
        lock (state)
        {
            foreach (var update in updates.Span) state[update.Tag] = update;
        }
        Interlocked.Add(ref _updates, updates.Length);
        OnTelemetry?.Invoke(twinId, updates);
        return ValueTask.CompletedTask;
    }

    public ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken)
    {
        _twins.TryAdd(description.TwinId, new Dictionary<string, TagUpdate>(StringComparer.Ordinal));
        return ValueTask.CompletedTask;
    }

    public ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public int TwinCount => _twins.Count;
}
