using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Imv.Gateways.OpcUa.Tests;

/// <summary>A gateway stopped after the grid (its sink disposed) stops cleanly and says why its twins were
/// not marked Offline; a stop must never end the host with an unhandled exception.</summary>
[Collection(PlcCollection.Name)]
public sealed class StopTests(PlcFixture plc)
{
    /// <summary>A sink whose container was disposed: every call throws as a disposed IServiceProvider does.</summary>
    private sealed class DisposableSink(CollectingSink inner) : IPlantEventSink
    {
        public volatile bool Disposed;

        private void Check()
        {
            if (Disposed) throw new ObjectDisposedException("IServiceProvider");
        }

        public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken)
        {
            Check();
            return inner.WriteTelemetryAsync(twinId, updates, cancellationToken);
        }

        public ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken)
        {
            Check();
            return inner.DescribeTwinAsync(description, cancellationToken);
        }

        public ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken)
        {
            Check();
            return inner.SetTwinConnectivityAsync(twinId, connectivity, reason, cancellationToken);
        }

        public ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken)
        {
            Check();
            return inner.ReportCommandOutcomeAsync(twinId, commandId, status, reason, cancellationToken);
        }
    }

    [Fact]
    public async Task Stopping_after_the_grid_is_gone_completes_and_logs_instead_of_throwing()
    {
        var sink = new DisposableSink(new CollectingSink());
        var logger = new TestLogger();
        var options = new OpcUaEndpointOptions { Name = "late", EndpointUrl = plc.EndpointUrl };
        options.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Plant.Machine1.Speed", TwinId = "late.m1", Tag = "Speed" });
        var connection = new OpcUaEndpointConnection(options, sink, logger);
        await connection.StartAsync(CancellationToken.None);
        await connection.WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        sink.Disposed = true; // the silo stopped first
        await connection.StopAsync(CancellationToken.None);
        await connection.DisposeAsync();
        Assert.True(logger.Contains(LogLevel.Warning, "late", "could not be marked Offline at stop", "IServiceProvider"));
    }
}
