using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.MqttGateway;

/// <summary>Gathers tag updates from many messages per twin, so the sink gets one call per twin per batch
/// rather than one per message. Births, deaths and outcomes flush what is gathered first, to keep order.</summary>
internal sealed class GatewayBatch
{
    private readonly IPlantEventSink _sink;
    private readonly PendingCommandTracker _commands;
    private readonly MqttGatewayStatistics _statistics;
    private readonly ILogger _logger;
    private readonly string _gateway;
    private readonly Dictionary<string, List<TagUpdate>> _updates = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();
    private readonly List<PendingCommandTracker.Pending> _applied = new();

    public GatewayBatch(string gateway, IPlantEventSink sink, PendingCommandTracker commands, MqttGatewayStatistics statistics, ILogger logger)
    {
        _gateway = gateway;
        _sink = sink;
        _commands = commands;
        _statistics = statistics;
        _logger = logger;
    }

    public IPlantEventSink Sink => _sink;

    public PendingCommandTracker Commands => _commands;

    /// <summary>The receipt the telemetry of the current consumer batch is written under (null: none is wanted).</summary>
    public TelemetryReceipt? Receipt { get; set; }

    public void Add(string twinId, TagUpdate update)
    {
        if (!_updates.TryGetValue(twinId, out var list))
        {
            _updates[twinId] = list = new List<TagUpdate>(8);
        }
        if (list.Count == 0) _order.Add(twinId);
        list.Add(update);
        if (_commands.Count > 0 && _commands.TakeConfirmedByValue(twinId, update.Tag, update.Value) is { } confirmed)
            _applied.AddRange(confirmed);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var twinId in _order)
        {
            var list = _updates[twinId];
            // A fresh array per call: the sink may keep the memory after the call returns.
            var updates = list.ToArray();
            list.Clear();
            try
            {
                if (Receipt is { } receipt) await _sink.WriteTelemetryAsync(twinId, updates, receipt, cancellationToken).ConfigureAwait(false);
                else await _sink.WriteTelemetryAsync(twinId, updates, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _statistics.telemetryCalls);
                Interlocked.Add(ref _statistics.updates, updates.Length);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Interlocked.Increment(ref _statistics.sinkErrors);
                _logger.LogError(ex, "MQTT gateway {Gateway}: the sink refused {Count} updates for twin {TwinId}", _gateway, updates.Length, twinId);
                // Not stored: the messages that carried them must not be acknowledged.
                if (Receipt is { } refused)
                {
                    refused.Enter();
                    refused.Abandon(ex);
                }
            }
        }
        _order.Clear();
        // Forget lists of twins that went quiet so a churn of device ids cannot grow the dictionary without limit.
        if (_updates.Count > 50_000) _updates.Clear();
        if (_applied.Count > 0)
        {
            var applied = _applied.ToArray();
            _applied.Clear();
            foreach (var p in applied)
            {
                Interlocked.Increment(ref _statistics.commandsApplied);
                await CallSinkAsync(p.TwinId, s => s.ReportCommandOutcomeAsync(p.TwinId, p.CommandId, CommandDeliveryStatus.Applied, "the tag reported the commanded value", cancellationToken)).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DescribeAsync(TwinDescription description, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await CallSinkAsync(description.TwinId, s => s.DescribeTwinAsync(description, cancellationToken)).ConfigureAwait(false);
    }

    public async ValueTask SetConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await CallSinkAsync(twinId, s => s.SetTwinConnectivityAsync(twinId, connectivity, reason, cancellationToken)).ConfigureAwait(false);
    }

    public async ValueTask ReportOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        if (status == CommandDeliveryStatus.Applied) Interlocked.Increment(ref _statistics.commandsApplied);
        await CallSinkAsync(twinId, s => s.ReportCommandOutcomeAsync(twinId, commandId, status, reason, cancellationToken)).ConfigureAwait(false);
    }

    private async ValueTask CallSinkAsync(string twinId, Func<IPlantEventSink, ValueTask> call)
    {
        try
        {
            await call(_sink).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Interlocked.Increment(ref _statistics.sinkErrors);
            _logger.LogError(ex, "MQTT gateway {Gateway}: the sink failed for twin {TwinId}", _gateway, twinId);
        }
    }
}
