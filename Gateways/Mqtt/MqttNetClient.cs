using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Channel;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;
using MqttNetMessage = MQTTnet.MqttApplicationMessage;
using MqttNetVersion = MQTTnet.Formatter.MqttProtocolVersion;

namespace Imv.Gateways.Mqtt;

/// <summary>The gateway's MQTT 3.1.1 / 5.0 client on MQTTnet 5 (<c>Client: MqttNet</c>): MQTTnet speaks the protocol (packets, QoS handshakes,
/// keep-alive, TLS); this class adds what MQTTnet 5 leaves to the application: the reconnect loop with backoff and jitter that
/// restores subscriptions, a bounded receive buffer (QoS 0 dropped and counted when full, QoS 1/2 held back),
/// acknowledgements released in arrival order once the consumer stored a message (and dropped with a lost
/// connection, so the broker delivers again), publications retried across reconnects within an in-flight window.</summary>
internal sealed class MqttNetClient : IMqttGatewayClient
{
    private readonly MqttClientOptions _options;
    private readonly ILogger _logger;
    private readonly IMqttClient _client;
    private readonly Channel<MqttReceivedMessage> _messages;
    private readonly MqttInFlightWindow _window;
    private readonly object _session = new();
    private readonly Dictionary<string, MqttSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Queue<Held> _held = new();
    // Taken to release acknowledgements and to open a connection: an acknowledgement is never written to a
    // connection other than the one its message came on (MQTTnet would send it on whichever is current).
    private readonly SemaphoreSlim _connectionGate = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly SocketStreamProvider _streams;
    private readonly Dictionary<ushort, string> _incomingAliases = new();
    private TaskCompletionSource _connectedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<Exception?> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _epoch;
    private Task? _supervisor;
    private int _started;
    private int _closed;
    private volatile MqttConnectionState _state = MqttConnectionState.Disconnected;

    /// <summary>Creates the client; nothing happens until <see cref="ConnectAsync"/>.</summary>
    public MqttNetClient(MqttClientOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _window = new MqttInFlightWindow(options.MaxInFlight);
        _messages = Channel.CreateBounded<MqttReceivedMessage>(new BoundedChannelOptions(options.ReceiveBufferCapacity)
        {
            SingleWriter = true,
            SingleReader = false,
            FullMode = BoundedChannelFullMode.Wait,
            // The consumer continues on MQTTnet's dispatch thread when it was waiting: one thread hop less per
            // message (latency of control loops); it returns at its first await.
            AllowSynchronousContinuations = true,
        });
        _streams = new SocketStreamProvider(options.Host, options.Port);
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
    }

    /// <summary>The options the client was created with.</summary>
    public MqttClientOptions Options => _options;

    /// <summary>Counters: received, dropped, published, republished, reconnects, refused logins, bad topic aliases.</summary>
    public MqttClientStatistics Statistics { get; } = new();

    /// <summary>Messages received from the broker, in arrival order, bounded by <see cref="MqttClientOptions.ReceiveBufferCapacity"/>; completed when the client is closed.</summary>
    public ChannelReader<MqttReceivedMessage> Messages => _messages.Reader;

    /// <summary>The connection state.</summary>
    public MqttConnectionState State => _state;

    /// <summary>The client id the broker assigned (MQTT 5, empty ClientId), else the configured one.</summary>
    public string ClientId { get; private set; } = "";

    /// <summary>Raised on connect, loss and disconnect (keep handlers short).</summary>
    public event EventHandler<MqttConnectionStateChangedEventArgs>? ConnectionStateChanged;

    /// <summary>Acknowledgements held back or being written: zero once every released one was handed to the connection.</summary>
    public int HeldAcknowledgements
    {
        get
        {
            lock (_held) return _held.Count + (_connectionGate.CurrentCount == 0 ? 1 : 0);
        }
    }

    /// <summary>Connects for the first time. Throws <see cref="MqttReasonException"/> when the broker refuses, <see cref="TimeoutException"/> when it does not answer in time, or the socket/TLS error. Afterwards the client reconnects by itself (when <see cref="MqttClientOptions.AutoReconnect"/>).</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("ConnectAsync was already called on this client.");
        try
        {
            await ConnectOnceAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _started, 0);
            throw;
        }
        _supervisor = Task.Run(SuperviseAsync, CancellationToken.None);
    }

    /// <summary>Publishes a message. QoS 0 completes once written; QoS 1/2 complete with the broker's acknowledgement (a reason code of 0x80 or more is a refusal, not an exception). While the connection is down, publications wait for the next one; at most <see cref="MqttClientOptions.MaxInFlight"/> QoS 1/2 publications (lowered to the broker's Receive Maximum) are unacknowledged at a time. A publication cancelled before it was written is never sent later.</summary>
    public async ValueTask<MqttPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        var outgoing = ToMqttNet(message);
        if (message.Qos == MqttQualityOfService.AtMostOnce) return await PublishRetryingAsync(outgoing, cancellationToken).ConfigureAwait(false);
        await _window.AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await PublishRetryingAsync(outgoing, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _window.Release();
        }
    }

    /// <summary>Publishes on the current connection; when it breaks before the broker answered, waits for the next
    /// one and publishes again (at least once: the broker may see it twice), until cancelled or closed.</summary>
    private async Task<MqttPublishResult> PublishRetryingAsync(MqttNetMessage message, CancellationToken cancellationToken)
    {
        while (true)
        {
            await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
            var epoch = Volatile.Read(ref _epoch);
            try
            {
                var result = await _client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref Statistics.published);
                return new MqttPublishResult((byte)result.ReasonCode, result.ReasonString);
            }
            catch (MqttCommunicationException) when (!cancellationToken.IsCancellationRequested && Volatile.Read(ref _closed) == 0)
            {
                Interlocked.Increment(ref Statistics.resent);
            }
            catch (Exception ex) when (ex is not ArgumentException && !cancellationToken.IsCancellationRequested && Volatile.Read(ref _closed) == 0
                && (!_client.IsConnected || Volatile.Read(ref _epoch) != epoch))
            {
                // MQTTnet cancels or disposes what waits on a connection it tears down (OperationCanceledException,
                // ObjectDisposedException, IOException depending on the moment): the connection is gone, so the
                // failure is the connection's, not the message's; try on the next one.
                Interlocked.Increment(ref Statistics.resent);
                _logger.LogDebug(ex, "MQTT {ClientId}: publication to {Topic} interrupted by a lost connection; sending it again on the next", ClientId, message.Topic);
            }
        }
    }

    /// <summary>Subscribes to topic filters. Returns the granted QoS per filter; throws <see cref="MqttReasonException"/> naming the filter when the broker refuses one. Subscriptions are remembered and restored after a reconnect to a broker that lost the session.</summary>
    public async Task<IReadOnlyList<MqttQualityOfService>> SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        if (subscriptions.Count == 0) throw new ArgumentException("At least one subscription is needed.", nameof(subscriptions));
        foreach (var s in subscriptions) MqttTopic.ValidateTopicFilter(s.Filter);
        lock (_session)
        {
            foreach (var s in subscriptions) _subscriptions[s.Filter] = s;
        }
        await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
        return await SendSubscribeAsync(subscriptions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Subscribes to one topic filter.</summary>
    public Task<IReadOnlyList<MqttQualityOfService>> SubscribeAsync(string filter, MqttQualityOfService qos, CancellationToken cancellationToken) =>
        SubscribeAsync(new[] { new MqttSubscription(filter, qos) }, cancellationToken);

    private async Task<IReadOnlyList<MqttQualityOfService>> SendSubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken)
    {
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var s in subscriptions)
        {
            builder.WithTopicFilter(f => f.WithTopic(s.Filter).WithQualityOfServiceLevel((MqttQualityOfServiceLevel)s.Qos)
                .WithNoLocal(s.NoLocal).WithRetainAsPublished(s.RetainAsPublished).WithRetainHandling((MqttRetainHandling)s.RetainHandling));
        }
        var result = await _client.SubscribeAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        var granted = new MqttQualityOfService[subscriptions.Count];
        var items = result.Items.ToList();
        if (items.Count != subscriptions.Count)
            throw new MqttReasonException($"SUBACK has {items.Count} reason codes for {subscriptions.Count} filters.");
        for (var i = 0; i < items.Count; i++)
        {
            var code = (byte)items[i].ResultCode;
            if (code >= 0x80)
            {
                lock (_session) _subscriptions.Remove(subscriptions[i].Filter);
                throw new MqttReasonException($"SUBSCRIBE '{subscriptions[i].Filter}'", code, result.ReasonString);
            }
            granted[i] = (MqttQualityOfService)code;
        }
        return granted;
    }

    /// <summary>Unsubscribes from topic filters; throws <see cref="MqttReasonException"/> for an MQTT 5 refusal.</summary>
    public async Task UnsubscribeAsync(IReadOnlyList<string> filters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Count == 0) throw new ArgumentException("At least one filter is needed.", nameof(filters));
        lock (_session)
        {
            foreach (var f in filters) _subscriptions.Remove(f);
        }
        await WaitConnectedAsync(cancellationToken).ConfigureAwait(false);
        var builder = new MqttClientUnsubscribeOptionsBuilder();
        foreach (var f in filters) builder.WithTopicFilter(f);
        var result = await _client.UnsubscribeAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        var i = 0;
        foreach (var item in result.Items)
        {
            if ((byte)item.ResultCode >= 0x80) throw new MqttReasonException($"UNSUBSCRIBE '{filters[i]}'", (byte)item.ResultCode, result.ReasonString);
            i++;
        }
    }

    /// <summary>With <see cref="MqttClientOptions.ManualAcknowledgement"/>: the consumer is done with <paramref name="message"/> (it stored it); its acknowledgement (PUBACK, PUBREC) goes out once every QoS 1/2 message received before it on the same connection is released too (MQTT wants acknowledgements in arrival order). Acknowledgements of a connection since lost are dropped, so the broker delivers those messages again on the resumed session. Nothing to do for QoS 0 messages or without manual acknowledgement.</summary>
    public async ValueTask AcknowledgeAsync(MqttReceivedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.HeldAcknowledgement is not Held held) return;
        await _connectionGate.WaitAsync().ConfigureAwait(false);
        try
        {
            List<Held>? due = null;
            var epoch = Volatile.Read(ref _epoch);
            lock (_held)
            {
                held.Released = true;
                while (_held.TryPeek(out var head) && (head.Released || head.Epoch != epoch))
                {
                    _held.Dequeue();
                    if (head.Released && head.Epoch == epoch) (due ??= []).Add(head);
                }
            }
            if (due is null) return;
            foreach (var ack in due)
            {
                try
                {
                    await ack.Received.AcknowledgeAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
                {
                    // The connection closed meanwhile: the broker delivers the message again on the resumed session.
                }
            }
        }
        finally
        {
            _connectionGate.Release();
        }
    }

    /// <summary>Sends DISCONNECT and closes (no reconnect afterwards). With <paramref name="publishWill"/> (MQTT 5) the broker still publishes the last will.</summary>
    public async Task DisconnectAsync(bool publishWill = false, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (_client.IsConnected)
        {
            try
            {
                var reason = publishWill ? MqttClientDisconnectOptionsReason.DisconnectWithWillMessage : MqttClientDisconnectOptionsReason.NormalDisconnection;
                await _client.DisconnectAsync(new MqttClientDisconnectOptions { Reason = reason }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is MqttCommunicationException or OperationCanceledException or ObjectDisposedException)
            {
                // Asked to hurry, or the connection broke meanwhile: the broker publishes the will.
                _streams.Break();
            }
        }
        await CloseAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task CloseAsync()
    {
        _lost.TrySetResult(null);
        if (_supervisor is not null)
        {
            try
            {
                await _supervisor.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "MQTT {ClientId}: connection supervisor failed", ClientId);
            }
        }
        _messages.Writer.TryComplete();
        _connectedSignal.TrySetException(new ObjectDisposedException(nameof(MqttNetClient)));
        SetState(MqttConnectionState.Disconnected, false, null);
    }

    /// <summary>Breaks the current connection as a network failure would (no DISCONNECT, so the broker publishes the will); the client reconnects.</summary>
    public void BreakConnection() => _streams.Break();

    /// <summary>QoS 1/2 publications awaiting the broker's acknowledgement.</summary>
    public int InFlightCount => _window.Count;

    /// <summary>Drops the connection without DISCONNECT (as a crashed device would), so the broker publishes the last
    /// will; the client does not reconnect.</summary>
    public async Task AbortAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        _streams.Break();
        await CloseAsync().ConfigureAwait(false);
    }

    /// <summary>Disconnects (see <see cref="DisconnectAsync"/>) and releases the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
        _client.Dispose();
        _lifetime.Dispose();
    }

    private async Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
            if (Volatile.Read(ref _started) == 0) throw new InvalidOperationException("The client is not connected: call ConnectAsync first.");
            var signal = Volatile.Read(ref _connectedSignal);
            if (!signal.Task.IsCompleted)
            {
                await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            if (signal.Task.IsFaulted) await signal.Task.ConfigureAwait(false);
            if (_client.IsConnected) return;
            // Lost a moment ago: MQTTnet raises the event that resets the signal right after.
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ConnectOnceAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        MqttClientConnectResult result;
        Interlocked.Exchange(ref _lost, new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously));
        await _connectionGate.WaitAsync(timeout.Token).ConfigureAwait(false);
        try
        {
            // A new connection: acknowledgements still held for the previous one are dropped from now on.
            Interlocked.Increment(ref _epoch);
            lock (_incomingAliases) _incomingAliases.Clear();
            result = await _client.ConnectAsync(BuildOptions(), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !_lifetime.IsCancellationRequested)
        {
            throw new TimeoutException($"MQTT connect to {_options.Host}:{_options.Port} did not complete within {_options.ConnectTimeout}.", ex);
        }
        catch (MqttCommunicationException ex) when (SocketOrTlsError(ex) is { } cause)
        {
            // The socket or TLS error itself, as callers of a socket would see it (a refused certificate is an
            // AuthenticationException, a refused connection a SocketException).
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
            throw;
        }
        catch (MqttConnectingFailedException ex) when (ex.InnerException is { } inner)
        {
            throw new IOException($"MQTT connect to {_options.Host}:{_options.Port} failed: {inner.Message}", inner);
        }
        finally
        {
            _connectionGate.Release();
        }
        if (result.ResultCode != MqttClientConnectResultCode.Success) throw Refused(result);
        ClientId = string.IsNullOrEmpty(result.AssignedClientIdentifier) ? _options.ClientId : result.AssignedClientIdentifier;
        _window.SetLimit(Math.Min(_options.MaxInFlight, result.ReceiveMaximum is > 0 ? result.ReceiveMaximum.Value : 65535));
        try
        {
            if (!result.IsSessionPresent) await RestoreSubscriptionsAsync(timeout.Token).ConfigureAwait(false);
            if (_options.OnConnectedAsync is { } hook)
            {
                // The hook subscribes and publishes through this client: let it through before others are released.
                Volatile.Read(ref _connectedSignal).TrySetResult();
                await hook(result.IsSessionPresent, timeout.Token).ConfigureAwait(false);
            }
        }
        catch
        {
            _streams.Break();
            throw;
        }
        if (!_client.IsConnected) throw new IOException("The connection closed while the session was being restored.");
        SetState(MqttConnectionState.Connected, result.IsSessionPresent, null);
        Volatile.Read(ref _connectedSignal).TrySetResult();
        _logger.LogInformation("MQTT {ClientId} connected to {Host}:{Port} (MQTT {Version}, session present: {SessionPresent})",
            ClientId, _options.Host, _options.Port, _options.ProtocolVersion == MqttProtocolVersion.V500 ? "5.0" : "3.1.1", result.IsSessionPresent);
    }

    private static Exception? SocketOrTlsError(Exception error)
    {
        for (var e = error.InnerException; e is not null; e = e.InnerException)
        {
            if (e is AuthenticationException or SocketException) return e;
        }
        return null;
    }

    private MqttReasonException Refused(MqttClientConnectResult result)
    {
        byte code = (byte)result.ResultCode;
        if (_options.ProtocolVersion == MqttProtocolVersion.V311)
        {
            // MQTTnet reports MQTT 3.1.1 return codes as their MQTT 5 equivalents: give back the code the broker sent.
            code = result.ResultCode switch
            {
                MqttClientConnectResultCode.UnsupportedProtocolVersion => 1,
                MqttClientConnectResultCode.ClientIdentifierNotValid => 2,
                MqttClientConnectResultCode.ServerUnavailable => 3,
                MqttClientConnectResultCode.BadUserNameOrPassword => 4,
                MqttClientConnectResultCode.NotAuthorized => 5,
                _ => code,
            };
        }
        var login = _options.ProtocolVersion == MqttProtocolVersion.V500 ? code is 0x86 or 0x87 or 0x8C : code is 4 or 5;
        if (login) Interlocked.Increment(ref Statistics.refusedLogins);
        return new MqttReasonException("CONNECT", code, result.ReasonString);
    }

    private async Task RestoreSubscriptionsAsync(CancellationToken cancellationToken)
    {
        MqttSubscription[] subscriptions;
        lock (_session) subscriptions = _subscriptions.Values.ToArray();
        // Many filters (a thousand devices) go in a few packets rather than one huge one.
        foreach (var chunk in subscriptions.Chunk(100)) await SendSubscribeAsync(chunk, cancellationToken).ConfigureAwait(false);
        if (subscriptions.Length > 0) _logger.LogInformation("MQTT {ClientId}: restored {Count} subscriptions", ClientId, subscriptions.Length);
    }

    private async Task SuperviseAsync()
    {
        while (true)
        {
            var cause = await Volatile.Read(ref _lost).Task.ConfigureAwait(false);
            if (_lifetime.IsCancellationRequested) return;
            _logger.LogWarning("MQTT {ClientId}: connection to {Host}:{Port} lost: {Reason}", ClientId, _options.Host, _options.Port, cause?.Message ?? "closed");
            SetState(MqttConnectionState.ConnectionLost, false, cause);
            if (!_options.AutoReconnect)
            {
                Volatile.Read(ref _connectedSignal).TrySetException(new IOException("The connection was lost and AutoReconnect is off.", cause));
                return;
            }
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    await Task.Delay(MqttReconnectBackoff.Delay(_options, attempt), _lifetime.Token).ConfigureAwait(false);
                    await ConnectOnceAsync(_lifetime.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref Statistics.reconnects);
                    break;
                }
                catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    _logger.LogWarning("MQTT {ClientId}: reconnect attempt {Attempt} to {Host}:{Port} failed: {Reason}",
                        ClientId, attempt + 1, _options.Host, _options.Port, ex.Message);
                    if (_client.IsConnected) _streams.Break();
                }
            }
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (e.Exception is MqttProtocolViolationException or { InnerException: MqttProtocolViolationException })
        {
            var bad = Interlocked.Increment(ref Statistics.decodeErrors);
            _logger.LogError("MQTT {ClientId}: malformed packet from {Host}:{Port}: {Reason}; the connection was closed ({Count} so far)",
                ClientId, _options.Host, _options.Port, (e.Exception.InnerException as MqttProtocolViolationException ?? e.Exception).Message, bad);
        }
        if (e.ClientWasConnected)
        {
            var cause = e.Exception ?? (e.Reason == MqttClientDisconnectReason.NormalDisconnection
                ? null
                : new MqttReasonException("The broker sent DISCONNECT", (byte)e.Reason, e.ReasonString));
            if (Volatile.Read(ref _closed) == 0)
                Interlocked.Exchange(ref _connectedSignal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            Volatile.Read(ref _lost).TrySetResult(cause ?? new IOException("The connection closed."));
        }
        return Task.CompletedTask;
    }

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var m = e.ApplicationMessage;
        var topic = m.Topic;
        if (m.TopicAlias != 0 && !ResolveAlias(m.TopicAlias, ref topic)) return Task.CompletedTask;
        var payload = m.Payload.IsEmpty ? [] : m.Payload.ToArray();
        var qos = (MqttQualityOfService)m.QualityOfServiceLevel;
        var message = new MqttReceivedMessage(topic, payload, qos, m.Retain, Properties(m));
        if (qos == MqttQualityOfService.AtMostOnce)
        {
            if (_messages.Writer.TryWrite(message))
            {
                Interlocked.Increment(ref Statistics.received);
            }
            else
            {
                var dropped = Interlocked.Increment(ref Statistics.dropped);
                if (dropped == 1 || dropped % 1000 == 0)
                {
                    _logger.LogWarning("MQTT {ClientId}: receive buffer full ({Capacity} messages), QoS 0 message on {Topic} dropped; {Dropped} dropped so far",
                        ClientId, _options.ReceiveBufferCapacity, topic, dropped);
                }
            }
            return Task.CompletedTask;
        }
        if (_options.ManualAcknowledgement)
        {
            e.AutoAcknowledge = false;
            var held = new Held(e, Volatile.Read(ref _epoch));
            lock (_held) _held.Enqueue(held);
            message = message with { HeldAcknowledgement = held };
        }
        // Auto acknowledgement goes out when this returns, that is once the message is in the buffer.
        if (_messages.Writer.TryWrite(message))
        {
            Interlocked.Increment(ref Statistics.received);
            return Task.CompletedTask;
        }
        return DeliverSlowlyAsync(message);
    }

    /// <summary>The buffer is full: MQTTnet dispatches nothing further until the consumer makes room, and QoS 1/2
    /// messages stay unacknowledged meanwhile, so the broker holds the rest (within its in-flight window).</summary>
    private async Task DeliverSlowlyAsync(MqttReceivedMessage message)
    {
        try
        {
            await _messages.Writer.WriteAsync(message, _lifetime.Token).ConfigureAwait(false);
            Interlocked.Increment(ref Statistics.received);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // Closing: the message stays unacknowledged and the broker keeps it for the next session.
        }
    }

    private bool ResolveAlias(ushort alias, ref string topic)
    {
        lock (_incomingAliases)
        {
            if (alias > _options.TopicAliasMaximum)
            {
                LogBadAlias(alias, $"exceeds the maximum of {_options.TopicAliasMaximum} this client announced");
                return false;
            }
            if (!string.IsNullOrEmpty(topic))
            {
                _incomingAliases[alias] = topic;
                return true;
            }
            if (_incomingAliases.TryGetValue(alias, out var known))
            {
                topic = known;
                return true;
            }
        }
        LogBadAlias(alias, "was used before it was defined");
        return false;
    }

    private void LogBadAlias(ushort alias, string problem)
    {
        var bad = Interlocked.Increment(ref Statistics.decodeErrors);
        if (bad <= 100 || bad % 1000 == 0)
            _logger.LogError("MQTT {ClientId}: topic alias {Alias} from {Host}:{Port} {Problem}; message dropped ({Count} so far)", ClientId, alias, _options.Host, _options.Port, problem, bad);
    }

    private static MqttProperties? Properties(MqttNetMessage m)
    {
        if (m.UserProperties is not { Count: > 0 } && m.MessageExpiryInterval == 0 && m.ContentType is null && m.ResponseTopic is null
            && m.CorrelationData is null && m.SubscriptionIdentifiers is not { Count: > 0 } && m.PayloadFormatIndicator == MqttPayloadFormatIndicator.Unspecified)
            return null;
        return new MqttProperties
        {
            UserProperties = m.UserProperties?.Select(p => new MqttUserProperty(p.Name, System.Text.Encoding.UTF8.GetString(p.ValueBuffer.Span))).ToList(),
            MessageExpiryInterval = m.MessageExpiryInterval == 0 ? null : m.MessageExpiryInterval,
            ContentType = m.ContentType,
            ResponseTopic = m.ResponseTopic,
            CorrelationData = m.CorrelationData,
            SubscriptionIdentifiers = m.SubscriptionIdentifiers is { Count: > 0 } ids ? ids : null,
            PayloadFormatIndicator = m.PayloadFormatIndicator == MqttPayloadFormatIndicator.Unspecified ? null : (byte)m.PayloadFormatIndicator,
        };
    }

    private static MqttNetMessage ToMqttNet(MqttApplicationMessage message)
    {
        var result = new MqttNetMessage
        {
            Topic = message.Topic,
            PayloadSegment = Segment(message.Payload),
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)message.Qos,
            Retain = message.Retain,
            ContentType = message.ContentType,
            ResponseTopic = message.ResponseTopic,
            CorrelationData = message.CorrelationData?.ToArray(),
        };
        if (message.MessageExpiryInterval is { } expiry) result.MessageExpiryInterval = expiry;
        if (message.PayloadFormatIndicator is { } format) result.PayloadFormatIndicator = (MqttPayloadFormatIndicator)format;
        if (message.UserProperties is { Count: > 0 } properties)
            result.UserProperties = properties.Select(p => new MQTTnet.Packets.MqttUserProperty(p.Name, new ReadOnlyMemory<byte>(System.Text.Encoding.UTF8.GetBytes(p.Value)))).ToList();
        return result;
    }

    private static ArraySegment<byte> Segment(ReadOnlyMemory<byte> payload) =>
        MemoryMarshal.TryGetArray(payload, out var segment) ? segment : new ArraySegment<byte>(payload.ToArray());

    private MQTTnet.MqttClientOptions BuildOptions()
    {
        var o = _options;
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(o.Host, o.Port)
            .WithStreamProvider(_streams)
            .WithProtocolVersion(o.ProtocolVersion == MqttProtocolVersion.V311 ? MqttNetVersion.V311 : MqttNetVersion.V500)
            .WithClientId(o.ClientId)
            .WithCleanStart(o.CleanStart)
            .WithKeepAlivePeriod(o.KeepAlive)
            .WithTimeout(o.ConnectTimeout)
            .WithoutPacketFragmentation();
        if (o.ProtocolVersion == MqttProtocolVersion.V500)
        {
            builder.WithSessionExpiryInterval(o.SessionExpiryInterval)
                // MQTTnet reads on while the gateway waits for room in the buffer; what it read waits in MQTTnet's
                // queue. The broker sends at most this many unacknowledged QoS 1/2 messages, which bounds that queue.
                .WithReceiveMaximum((ushort)Math.Clamp(o.ReceiveBufferCapacity, 1, 65535))
                .WithMaximumPacketSize((uint)o.MaximumPacketSize)
                .WithTopicAliasMaximum(o.TopicAliasMaximum);
        }
        if (o.Username is not null) builder.WithCredentials(o.Username, o.Password);
        if (o.Will is { } will)
        {
            builder.WithWillTopic(will.Topic).WithWillPayload(will.Payload.ToArray())
                .WithWillQualityOfServiceLevel((MqttQualityOfServiceLevel)will.Qos).WithWillRetain(will.Retain);
            if (o.ProtocolVersion == MqttProtocolVersion.V500)
            {
                if (will.MessageExpiryInterval is { } expiry) builder.WithWillMessageExpiryInterval(expiry);
                if (will.ContentType is { } contentType) builder.WithWillContentType(contentType);
            }
        }
        if (o.Tls is { Enabled: true } tls)
        {
            var validate = MqttTlsSetup.CreateValidator(o, tls, _logger);
            var certificate = MqttTlsSetup.LoadClientCertificate(tls);
            builder.WithTlsOptions(new MqttClientTlsOptions
            {
                UseTls = true,
                TargetHost = tls.TargetHost ?? o.Host,
                SslProtocol = SslProtocols.None, // the OS default: TLS 1.2 and 1.3
                CertificateValidationHandler = validate is null ? null : args => validate(args.Certificate, args.SslPolicyErrors),
                ClientCertificatesProvider = certificate is null ? null : new ClientCertificates(certificate),
            });
        }
        var result = builder.Build();
        // MQTTnet's default validation also accepts what the system trusts; with none of ours, keep it.
        return result;
    }

    private void SetState(MqttConnectionState state, bool sessionPresent, Exception? cause)
    {
        _state = state;
        try
        {
            ConnectionStateChanged?.Invoke(this, new MqttConnectionStateChangedEventArgs(state, sessionPresent, cause));
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "MQTT {ClientId}: a ConnectionStateChanged handler failed", ClientId);
        }
    }

    /// <summary>A received QoS 1/2 message's acknowledgement held by MQTTnet until released, and the connection it
    /// came on.</summary>
    private sealed class Held(MqttApplicationMessageReceivedEventArgs received, long epoch) : MqttPendingAcknowledgement
    {
        public MqttApplicationMessageReceivedEventArgs Received { get; } = received;
        public long Epoch { get; } = epoch;
    }

    private sealed class ClientCertificates(X509Certificate2 certificate) : IMqttClientCertificatesProvider
    {
        public X509CertificateCollection GetCertificates() => new() { certificate };
    }

    /// <summary>Opens MQTTnet's sockets (Nagle off), and keeps the current one so that a connection can be broken
    /// as a network failure would break it.</summary>
    private sealed class SocketStreamProvider(string host, int port) : IMqttClientStreamProvider
    {
        private Socket? _current;

        public async Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            Volatile.Write(ref _current, socket);
            return new MqttReadBufferedStream(new NetworkStream(socket, ownsSocket: true), 64 * 1024);
        }

        public void Break()
        {
            if (Volatile.Read(ref _current) is not { } socket) return;
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Already closed.
            }
            socket.Close(0);
        }
    }
}
