using Imv.Gateways.Twins;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Summary;

namespace Imv.Silo.Directory;

/// <summary>The <see cref="IPlantEventSink"/> the gateways see: notes every twin heard of in the
/// <see cref="TwinDirectory"/>, counts confirmed commands for the summary, and passes everything on to the
/// <see cref="TwinTelemetryRouter"/>.</summary>
public sealed class DirectoryRecordingSink(TwinTelemetryRouter router, TwinDirectory directory, GridCounters counters, IGrainFactory grains) : IPlantEventSink
{
    /// <inheritdoc />
    public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken)
    {
        directory.Observe(twinId, null);
        return router.WriteTelemetryAsync(twinId, updates, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, TelemetryReceipt receipt, CancellationToken cancellationToken)
    {
        directory.Observe(twinId, null);
        return router.WriteTelemetryAsync(twinId, updates, receipt, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(description);
        return DescribeAsync(description, cancellationToken);
    }

    private async ValueTask DescribeAsync(TwinDescription description, CancellationToken cancellationToken)
    {
        // A new (twin, gateway) pair is remembered by the grid catalog, so that after a restart a gateway that
        // cannot connect still turns the twins it described Offline (SetGatewayConnectivityAsync).
        if (directory.Observe(description.TwinId, description.Gateway) && !string.IsNullOrEmpty(description.Gateway))
            await grains.GetGrain<IGridCatalogGrain>(IGridCatalogGrain.Key).SetTwinGatewayAsync(description.TwinId, description.Gateway)
                .WaitAsync(cancellationToken).ConfigureAwait(false);
        await router.DescribeTwinAsync(description, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask SetGatewayConnectivityAsync(string gateway, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken) =>
        router.SetConnectivityOfTwinsAsync(directory.TwinsOf(gateway), connectivity, reason, cancellationToken);

    /// <inheritdoc />
    public ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken) =>
        router.SetTwinConnectivityAsync(twinId, connectivity, reason, cancellationToken);

    /// <inheritdoc />
    public ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken)
    {
        counters.CommandOutcome(status);
        return router.ReportCommandOutcomeAsync(twinId, commandId, status, reason, cancellationToken);
    }
}
