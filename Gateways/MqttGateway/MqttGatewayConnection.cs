using Imv.Gateways.Mqtt;
using Imv.Gateways.MqttJson;
using Imv.Gateways.Sparkplug;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Gateways.MqttGateway;

/// <summary>One configured MQTT connection of the gateway: reads the broker's messages in batches into the
/// sink (Sparkplug B or JSON), and publishes the commands of the twins it owns.</summary>
public sealed class MqttGatewayConnection : IPlantGateway, IAsyncDisposable
{
    private readonly MqttGatewayOptions _options;
    private readonly IPlantEventSink _sink;
    private readonly ILogger _logger;
    private readonly IMqttGatewayMode _mode;
    private readonly IMqttGatewayClient _client;
    private readonly PendingCommandTracker _commands = new();
    private readonly GatewayBatch _batch;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _consumer;
    private Task? _sweeper;
    private Task? _starter;

    /// <summary>Creates the connection; <see cref="StartAsync"/> connects.</summary>
    public MqttGatewayConnection(MqttGatewayOptions options, IPlantEventSink sink, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        MqttGatewayOptionsValidator.ThrowIfInvalid([options]);
        _options = options;
        _sink = sink;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<MqttGatewayConnection>();
        _mode = options.Mode == MqttGatewayMode.SparkplugB
            ? new SparkplugHostApplication(options.Name, options.Sparkplug, Statistics, _logger, options.TwinMapping())
            : new JsonDeviceMapping(options.Name, options.Json, Statistics, _logger, options.TwinMapping());
        _batch = new GatewayBatch(options.Name, sink, _commands, Statistics, _logger);
        var clientOptions = new MqttClientOptions
        {
            Host = options.Host,
            Port = options.Port,
            ProtocolVersion = options.ParsedProtocolVersion,
            ClientId = options.ClientId ?? "imv-" + options.Name,
            CleanStart = options.CleanStart,
            SessionExpiryInterval = options.SessionExpirySeconds,
            KeepAlive = TimeSpan.FromSeconds(options.KeepAliveSeconds),
            Username = options.Username,
            Password = options.Password,
            Tls = options.Tls,
            Will = _mode.Will,
            MaxInFlight = options.MaxInFlight,
            ReceiveBufferCapacity = options.ReceiveBufferCapacity,
            ManualAcknowledgement = options.AcknowledgeAfterStored,
            MaximumPacketSize = options.MaximumPacketSize,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(options.ReconnectMinDelayMs),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(options.ReconnectMaxDelayMs),
        };
        clientOptions.OnConnectedAsync = (sessionPresent, ct) => _mode.OnConnectedAsync(_client!, sessionPresent, ct);
        _client = options.Client == MqttClientKind.Own
            ? new MqttClient(clientOptions, loggerFactory.CreateLogger<MqttClient>())
            : new MqttNetClient(clientOptions, loggerFactory.CreateLogger<MqttNetClient>());
        _client.ConnectionStateChanged += OnConnectionStateChanged;
    }

    /// <inheritdoc />
    public string Name => _options.Name;

    /// <summary>Counters of this connection.</summary>
    public MqttGatewayStatistics Statistics { get; } = new();

    /// <summary>A snapshot of every counter of this connection and its client, for the API and diagnostics (the same
    /// figures are the instruments of <see cref="MqttGatewayMetrics"/>).</summary>
    public MqttGatewayStatisticsSnapshot Snapshot() => new(
        Name, _client.State.ToString(), Statistics.Messages, Statistics.BadMessages, Statistics.TypeMismatches,
        _client.Statistics.MessagesDropped, _client.Statistics.Reconnects, _client.Statistics.RefusedLogins,
        Statistics.CommandsSent, Statistics.CommandsApplied, Statistics.CommandsRejected, Statistics.SinkErrors);

    /// <summary>The MQTT client (its statistics: received, dropped, reconnects).</summary>
    internal IMqttGatewayClient Client => _client;

    /// <summary>Connects and starts consuming. When the broker cannot be reached, the error is logged and
    /// the connection keeps trying in the background, so a silo starts without its broker.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        MqttGatewayMetrics.Register(this);
        _consumer = Task.Run(() => ConsumeAsync(_stopping.Token), CancellationToken.None);
        _sweeper = Task.Run(() => SweepExpiredCommandsAsync(_stopping.Token), CancellationToken.None);
        try
        {
            await _client.ConnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogError("MQTT gateway {Gateway}: first connect to {Host}:{Port} failed: {Reason}; retrying in the background",
                Name, _options.Host, _options.Port, ex.Message);
            _starter = Task.Run(() => KeepTryingToConnectAsync(_stopping.Token), CancellationToken.None);
        }
    }

    private async Task KeepTryingToConnectAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(_options.ReconnectMinDelayMs);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                await _client.ConnectAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogWarning("MQTT gateway {Gateway}: connect to {Host}:{Port} failed: {Reason}", Name, _options.Host, _options.Port, ex.Message);
                delay = TimeSpan.FromMilliseconds(Math.Min(_options.ReconnectMaxDelayMs, delay.TotalMilliseconds * 2));
            }
        }
    }

    /// <summary>Disconnects (the Sparkplug STATE goes offline through the will) and stops consuming.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        MqttGatewayMetrics.Unregister(this);
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_client.State == MqttConnectionState.Connected)
        {
            using var announce = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            announce.CancelAfter(TimeSpan.FromSeconds(2));
            try
            {
                await _mode.OnStoppingAsync(_client, announce.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
            {
                _logger.LogWarning("MQTT gateway {Gateway}: could not announce the stop: {Reason}", Name, ex.Message);
            }
        }
        await _client.DisconnectAsync(publishWill: false, cancellationToken).ConfigureAwait(false);
        foreach (var task in new[] { _consumer, _sweeper, _starter })
        {
            if (task is null) continue;
            try
            {
                await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Stopped as asked.
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _client.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask<CommandDelivery> SendAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var now = DateTimeOffset.UtcNow;
        if (command.ExpiresAt != default && command.ExpiresAt <= now)
            return CommandDelivery.Rejected($"command {command.CommandId} expired at {command.ExpiresAt:O} before it was sent");
        var plan = _mode.PrepareCommand(command);
        if (plan.Rejection is { } rejection)
        {
            Interlocked.Increment(ref Statistics.commandsRejected);
            _logger.LogWarning("MQTT gateway {Gateway}: command {CommandId} to {TwinId} rejected: {Reason}", Name, command.CommandId, command.TwinId, rejection);
            return CommandDelivery.Rejected(rejection);
        }
        // Registered before publishing: a fast device may confirm before PUBACK arrives.
        var tracked = plan.ConfirmByAck || plan.ConfirmByValue;
        if (tracked)
            _commands.Register(command.CommandId, command.TwinId, command.Tag, command.Value, command.ExpiresAt == default ? now.AddMinutes(5) : command.ExpiresAt, plan.ConfirmByValue);
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (command.ExpiresAt != default && command.ExpiresAt - now < TimeSpan.FromDays(1)) expiry.CancelAfter(command.ExpiresAt - now);
        try
        {
            var result = await _client.PublishAsync(plan.Message!, expiry.Token).ConfigureAwait(false);
            Interlocked.Increment(ref Statistics.commandsSent);
            if (!result.IsSuccess)
            {
                _commands.Remove(command.CommandId);
                var reason = $"the broker refused the command: reason code 0x{result.ReasonCode:X2} ({MqttReasonCodes.Describe(result.ReasonCode)}){(result.ReasonString is null ? "" : ": " + result.ReasonString)}";
                _logger.LogWarning("MQTT gateway {Gateway}: command {CommandId} to {TwinId}: {Reason}", Name, command.CommandId, command.TwinId, reason);
                return CommandDelivery.Rejected(reason);
            }
            return CommandDelivery.Delivered;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            _commands.Remove(command.CommandId);
            return CommandDelivery.Rejected($"command {command.CommandId} was not acknowledged by the broker before it expired");
        }
        catch (OperationCanceledException)
        {
            _commands.Remove(command.CommandId);
            throw;
        }
        catch (Exception ex)
        {
            _commands.Remove(command.CommandId);
            _logger.LogError(ex, "MQTT gateway {Gateway}: command {CommandId} to {TwinId} could not be published", Name, command.CommandId, command.TwinId);
            return CommandDelivery.Rejected($"the command could not be published: {ex.Message}");
        }
    }

    private async Task ConsumeAsync(CancellationToken cancellationToken)
    {
        var reader = _client.Messages;
        try
        {
            long windowStart = Environment.TickCount64, windowMessages = 0;
            var highRate = false;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                // At high rates, linger briefly so that one wake-up and one sink call per twin carry many
                // messages; at low rates (a control loop) go at once to keep latency low.
                if (highRate && _options.BatchLingerMs > 0 && reader.Count < _options.MaxBatchSize)
                    await Task.Delay(_options.BatchLingerMs, cancellationToken).ConfigureAwait(false);
                var count = 0;
                List<MqttReceivedMessage>? held = null;
                TelemetryReceipt? receipt = null;
                while (count < _options.MaxBatchSize && reader.TryRead(out var message))
                {
                    count++;
                    if (message.HeldAcknowledgement is not null)
                    {
                        (held ??= []).Add(message);
                        _batch.Receipt = receipt ??= new TelemetryReceipt();
                    }
                    try
                    {
                        var handled = _mode.HandleAsync(message, _batch, cancellationToken);
                        if (!handled.IsCompletedSuccessfully) await handled.ConfigureAwait(false);
                    }
                    catch (MqttDecodeException ex)
                    {
                        var bad = Interlocked.Increment(ref Statistics.badMessages);
                        // Every bad message is counted; the log is thinned out under a flood so it stays readable.
                        if (bad <= 100 || bad % 1000 == 0)
                            _logger.LogWarning("MQTT gateway {Gateway}: bad message on {Topic}: {Reason} ({BadMessages} so far)", Name, message.Topic, ex.Message, bad);
                    }
                }
                Interlocked.Add(ref Statistics.messages, count);
                windowMessages += count;
                var now = Environment.TickCount64;
                if (now - windowStart >= 100)
                {
                    highRate = windowMessages * 1000 / (now - windowStart) >= _options.BatchLingerAboveMessagesPerSecond;
                    windowStart = now;
                    windowMessages = 0;
                }
                await _batch.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (receipt is not null)
                {
                    _batch.Receipt = null;
                    receipt.Seal();
                    _ = AcknowledgeWhenStoredAsync(receipt, held!);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            _logger.LogCritical(ex, "MQTT gateway {Gateway}: the consumer loop failed; telemetry stops", Name);
        }
    }

    /// <summary>Acknowledges a batch's QoS 1/2 messages to the broker once every reading they carried is stored
    /// (the client sends the acknowledgements in arrival order). When some could not be stored (the sink gave up after
    /// its retries), nothing is acknowledged and the connection is broken: acknowledgements go out in arrival order, so
    /// one withheld would hold back every later one, and a resumed session (<c>CleanStart=false</c>) makes the broker
    /// deliver every unacknowledged message again.</summary>
    private async Task AcknowledgeWhenStoredAsync(TelemetryReceipt receipt, List<MqttReceivedMessage> messages)
    {
        try
        {
            await receipt.Stored.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref Statistics.sinkErrors);
            _logger.LogError("MQTT gateway {Gateway}: {Count} messages were not stored ({Reason}); not acknowledged, reconnecting so that the broker delivers them again",
                Name, messages.Count, ex.Message);
            if (!_stopping.IsCancellationRequested) _client.BreakConnection();
            return;
        }
        try
        {
            foreach (var message in messages) await _client.AcknowledgeAsync(message).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Not acknowledged: the broker delivers the messages again on the resumed session.
            _logger.LogError(ex, "MQTT gateway {Gateway}: acknowledging {Count} stored messages failed", Name, messages.Count);
        }
    }

    private async Task SweepExpiredCommandsAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                if (_commands.TakeExpired(DateTimeOffset.UtcNow) is not { } expired) continue;
                foreach (var p in expired)
                {
                    try
                    {
                        await _sink.ReportCommandOutcomeAsync(p.TwinId, p.CommandId, CommandDeliveryStatus.Expired, "not confirmed by the device before it expired", cancellationToken).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        _logger.LogError(ex, "MQTT gateway {Gateway}: reporting expiry of command {CommandId} failed", Name, p.CommandId);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void OnConnectionStateChanged(object? sender, MqttConnectionStateChangedEventArgs e)
    {
        if (e.State == MqttConnectionState.ConnectionLost)
            _ = MarkTwinsReconnectingAsync(e.Cause?.Message ?? "connection lost");
    }

    private async Task MarkTwinsReconnectingAsync(string reason)
    {
        foreach (var twinId in _mode.KnownTwins())
        {
            try
            {
                await _sink.SetTwinConnectivityAsync(twinId, Grains.Interfaces.Plant.TwinConnectivity.Reconnecting, $"MQTT connection to {_options.Host}:{_options.Port} lost: {reason}", _stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "MQTT gateway {Gateway}: marking twin {TwinId} reconnecting failed", Name, twinId);
            }
        }
    }
}
