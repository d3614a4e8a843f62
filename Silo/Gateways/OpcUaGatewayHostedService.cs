using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Plant;

namespace Imv.Silo.Gateways;

/// <summary>Starts the OPC UA endpoints configured under <c>Gateways:OpcUa</c> with the silo (after the plant
/// bootstrap) delivering into the silo's <see cref="IPlantEventSink"/>, and stops them before the silo stops.
/// <c>AddOpcUaGateways</c> registers the service but nothing that starts it; this does.</summary>
public sealed partial class OpcUaGatewayHostedService(OpcUaGatewayService gateways, IPlantEventSink sink, ILogger<OpcUaGatewayHostedService> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await gateways.StartAsync(sink, cancellationToken).ConfigureAwait(false);
        if (gateways.Connections.Count > 0) LogStarted(logger, gateways.Connections.Count);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => gateways.StopAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "OPC UA gateway started: {Endpoints} endpoints")]
    private static partial void LogStarted(ILogger logger, int endpoints);
}
