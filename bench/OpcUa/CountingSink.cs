using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Bench.OpcUa;

/// <summary>Counts the tag updates the gateway hands over (the lead swaps in the real twins later).</summary>
internal sealed class CountingSink : IPlantEventSink
{
    private long _updates;

    public long Updates => Interlocked.Read(ref _updates);

    public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _updates, updates.Length);
        return ValueTask.CompletedTask;
    }

    public ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
