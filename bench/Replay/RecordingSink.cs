using Imv.Gateways.Simulation;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Interfaces.Recording;

namespace Imv.Bench.Replay;

/// <summary>Records a simulated plant straight into a recording, as its twins would have accepted every reading, at the
/// plant's simulated time (a driven clock: an hour is recorded in far less than an hour).</summary>
internal sealed class RecordingSink(ITwinRecorder recorder) : IPlantEventSink
{
    /// <summary>The plant whose simulated time stamps the entries.</summary>
    public SimulatedPlant? Plant { get; set; }

    public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken)
    {
        recorder.RecordReadings(twinId, Plant!.Now, updates.Span, default);
        return ValueTask.CompletedTask;
    }

    public ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;
}
