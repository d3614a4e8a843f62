using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Grains.Interfaces.Plant;

/// <summary>Where a gateway delivers what it hears from the plant. The silo implements it by batching
/// into the twins; tests implement it to collect what a gateway produced. Implementations may apply
/// backpressure by completing the returned task later; they never drop silently.</summary>
public interface IPlantEventSink
{
    /// <summary>New readings for one twin (usually from one protocol message).</summary>
    ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken);

    /// <summary>New readings for one twin, under a <paramref name="receipt"/> the sink exits once the twin has stored
    /// them (its state write acknowledged by storage) or their ingest failed (logged). A gateway that acknowledges
    /// the plant's messages waits for it. This default suits sinks that are done when the call returns; a sink that
    /// buffers (the silo's telemetry router) overrides it.</summary>
    async ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, TelemetryReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        receipt.Enter();
        try
        {
            await WriteTelemetryAsync(twinId, updates, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            receipt.Exit();
        }
    }

    /// <summary>A device announced itself or its tags changed (birth, discovery).</summary>
    ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken);

    /// <summary>A device came online or went offline (death, last will, lost connection). Offline turns
    /// every tag of the twin Bad; reconnecting turns them Uncertain until fresh values arrive.</summary>
    ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken);

    /// <summary>A gateway connection as a whole became reachable or not (cannot connect, login refused, back
    /// online). Gateways also call <see cref="SetTwinConnectivityAsync"/> for every twin they know, but before
    /// their first successful connection (after a restart) they do not know which twins discovery will find:
    /// a sink that remembers which twins a gateway described (<see cref="TwinDescription.Gateway"/>) applies
    /// the state to those twins too. The default does nothing.</summary>
    /// <param name="gateway">The gateway connection's name.</param>
    /// <param name="connectivity">Its state.</param>
    /// <param name="reason">Why, for the twins' status and the log.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    ValueTask SetGatewayConnectivityAsync(string gateway, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken) =>
        ValueTask.CompletedTask;

    /// <summary>The device confirmed or refused a command after it was delivered (an acknowledgement
    /// topic, a method result).</summary>
    ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken);
}
