using System.Buffers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Gateways.Mqtt;

/// <summary>An MQTT 3.1.1 / 5.0 client: one session with a broker, kept across reconnects.
/// Received messages go to a bounded buffer read through <see cref="Messages"/>; QoS 1/2 publications are
/// held until acknowledged and sent again after a reconnect; subscriptions are restored when the broker
/// did not keep the session.</summary>
public sealed class MqttClient : IMqttGatewayClient
{
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(30);

    private readonly MqttClientOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<MqttReceivedMessage> _messages;
    private readonly object _session = new();
    private readonly Dictionary<ushort, MqttOutgoingPublish> _outgoing = new();
    private readonly Dictionary<ushort, TaskCompletionSource<MqttPacket>> _pendingAcks = new();
    private readonly bool[] _idsInUse = new bool[65536];
    private readonly Dictionary<string, MqttSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly HashSet<ushort> _incomingQos2 = new();
    private readonly MqttInFlightWindow _window;
    private readonly MqttTopicCache _topicCache = new(8192);
    private readonly CancellationTokenSource _lifetime = new();
    private TaskCompletionSource _connectedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MqttTransport? _transport;
    private Task? _supervisor;
    private ushort _lastPacketId;
    private long _order;
    private long _lastReceivedTicks;
    private volatile bool _readerBlocked;
    private int _started;
    private int _closed;
    private volatile MqttConnectionState _state = MqttConnectionState.Disconnected;

    /// <summary>Creates a client; nothing happens until <see cref="ConnectAsync"/>.</summary>
    public MqttClient(MqttClientOptions options, ILogger? logger = null)
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
            // The consumer continues on the reader's thread when it was waiting: one thread hop less per message
            // (latency of control loops); it returns to the reader at its first await.
            AllowSynchronousContinuations = true,
        });
    }

    /// <summary>The options the client was created with.</summary>
    public MqttClientOptions Options => _options;

    private readonly Queue<MqttHeldAcknowledgement> _heldAcknowledgements = new();
    private readonly SemaphoreSlim _acknowledgementGate = new(1, 1);

    /// <summary>Acknowledgements held back or being written (for tests): zero once every released one is in the
    /// connection's output.</summary>
    public int HeldAcknowledgements
    {
        get
        {
            lock (_heldAcknowledgements) return _heldAcknowledgements.Count + (_acknowledgementGate.CurrentCount == 0 ? 1 : 0);
        }
    }

    /// <summary>With <see cref="MqttClientOptions.ManualAcknowledgement"/>: the consumer is done with
    /// <paramref name="message"/> (it stored it); the client acknowledges it to the broker once every QoS 1/2
    /// message received before it is acknowledged too (MQTT wants acknowledgements in arrival order). A message
    /// that arrived on a connection since lost is not acknowledged: the broker delivers it again on the resumed
    /// session. Nothing to do for QoS 0 messages or without manual acknowledgement.</summary>
    public async ValueTask AcknowledgeAsync(MqttReceivedMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.HeldAcknowledgement is not MqttHeldAcknowledgement held) return;
        await _acknowledgementGate.WaitAsync().ConfigureAwait(false);
        try
        {
            List<MqttHeldAcknowledgement>? due = null;
            lock (_heldAcknowledgements)
            {
                held.Released = true;
                while (_heldAcknowledgements.TryPeek(out var head) && (head.Released || head.Transport.OutputCompleted))
                {
                    _heldAcknowledgements.Dequeue();
                    if (head.Released && !head.Transport.OutputCompleted) (due ??= []).Add(head);
                }
            }
            if (due is null) return;
            foreach (var ack in due)
            {
                try
                {
                    await WriteAckAsync(ack.Transport, ack.Type, ack.PacketId).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The connection closed meanwhile: the broker redelivers the message on the resumed session.
                }
            }
        }
        finally
        {
            _acknowledgementGate.Release();
        }
    }

    /// <summary>Counters: received, dropped, published, decode errors, reconnects.</summary>
    public MqttClientStatistics Statistics { get; } = new();

    /// <summary>Messages received from the broker, in order, bounded by
    /// <see cref="MqttClientOptions.ReceiveBufferCapacity"/>. Completed when the client is disposed.</summary>
    public ChannelReader<MqttReceivedMessage> Messages => _messages.Reader;

    /// <summary>The connection state.</summary>
    public MqttConnectionState State => _state;

    /// <summary>The client id the broker assigned (MQTT 5, empty ClientId), else the configured one.</summary>
    public string ClientId { get; private set; } = "";

    /// <summary>Raised (synchronously, keep handlers short) on connect, loss and disconnect.</summary>
    public event EventHandler<MqttConnectionStateChangedEventArgs>? ConnectionStateChanged;

    /// <summary>Connects for the first time. Throws <see cref="MqttReasonException"/> when the broker refuses,
    /// <see cref="TimeoutException"/> when it does not answer in time, or the socket/TLS error. Afterwards the
    /// client reconnects by itself (when <see cref="MqttClientOptions.AutoReconnect"/>).</summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("ConnectAsync was already called on this client.");
        ClientId = _options.ClientId;
        MqttTransport transport;
        try
        {
            transport = await ConnectOnceAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Volatile.Write(ref _started, 0);
            throw;
        }
        _supervisor = Task.Run(() => SuperviseAsync(transport), CancellationToken.None);
    }

    /// <summary>Publishes a message. QoS 0 completes once written; QoS 1/2 complete with the broker's
    /// acknowledgement (a reason code of 0x80 or more is a refusal, not an exception). While the connection is
    /// down, QoS 1/2 publications wait in the session and go out on reconnect; QoS 0 waits for the connection.
    /// At most <see cref="MqttClientOptions.MaxInFlight"/> QoS 1/2 publications are unacknowledged at a time.</summary>
    public async ValueTask<MqttPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
        if (message.Qos == MqttQualityOfService.AtMostOnce)
        {
            var transport = await WaitForTransportAsync(cancellationToken).ConfigureAwait(false);
            await WritePublishAsync(transport, message, 0, dup: false, cancellationToken).ConfigureAwait(false);
            return MqttPublishResult.Success;
        }

        await _window.AcquireAsync(cancellationToken).ConfigureAwait(false);
        MqttOutgoingPublish entry;
        try
        {
            lock (_session)
            {
                var id = NextPacketIdLocked();
                entry = new MqttOutgoingPublish(message, id, ++_order);
                _outgoing[id] = entry;
            }
        }
        catch
        {
            _window.Release();
            throw;
        }
        var current = Volatile.Read(ref _transport);
        if (current is not null) await SendOutgoingAsync(current, entry, dup: false).ConfigureAwait(false);
        try
        {
            return await entry.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // A publication that never reached a socket is withdrawn, so it cannot go out late (a command past its
            // deadline); once written it may be at the broker and stays in the session until acknowledged.
            if (entry.TryWithdraw())
            {
                lock (_session)
                {
                    if (_outgoing.Remove(entry.PacketId)) _idsInUse[entry.PacketId] = false;
                }
                _window.Release();
                entry.Completion.TrySetCanceled(cancellationToken);
            }
            throw;
        }
    }

    /// <summary>Subscribes to topic filters. Returns the granted QoS per filter; throws
    /// <see cref="MqttReasonException"/> naming the filter when the broker refuses one. Subscriptions are
    /// remembered and restored after a reconnect to a broker that lost the session.</summary>
    public async Task<IReadOnlyList<MqttQualityOfService>> SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        if (subscriptions.Count == 0) throw new ArgumentException("At least one subscription is needed.", nameof(subscriptions));
        foreach (var s in subscriptions) MqttTopic.ValidateTopicFilter(s.Filter);
        lock (_session)
        {
            foreach (var s in subscriptions) _subscriptions[s.Filter] = s;
        }
        var transport = await WaitForTransportAsync(cancellationToken).ConfigureAwait(false);
        var ack = await SendSubscribeAsync(transport, subscriptions, cancellationToken).ConfigureAwait(false);
        return CheckSubAck(ack, subscriptions);
    }

    /// <summary>Subscribes to one topic filter.</summary>
    public Task<IReadOnlyList<MqttQualityOfService>> SubscribeAsync(string filter, MqttQualityOfService qos, CancellationToken cancellationToken) =>
        SubscribeAsync(new[] { new MqttSubscription(filter, qos) }, cancellationToken);

    /// <summary>Unsubscribes from topic filters; throws <see cref="MqttReasonException"/> for an MQTT 5 refusal.</summary>
    public async Task UnsubscribeAsync(IReadOnlyList<string> filters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Count == 0) throw new ArgumentException("At least one filter is needed.", nameof(filters));
        lock (_session)
        {
            foreach (var f in filters) _subscriptions.Remove(f);
        }
        var transport = await WaitForTransportAsync(cancellationToken).ConfigureAwait(false);
        var ack = await SendAndAwaitAckAsync(transport, (filters, _options.ProtocolVersion),
            static (output, id, state) => MqttPacketEncoder.WriteUnsubscribe(output, state.ProtocolVersion, id, state.filters), cancellationToken).ConfigureAwait(false);
        if (ack.ReasonCodes is { } codes)
        {
            for (var i = 0; i < codes.Length && i < filters.Count; i++)
            {
                if (codes[i] >= 0x80) throw new MqttReasonException($"UNSUBSCRIBE '{filters[i]}'", codes[i], ack.Properties?.ReasonString);
            }
        }
    }

    /// <summary>Sends DISCONNECT and closes. With <paramref name="publishWill"/> (MQTT 5) the broker still
    /// publishes the last will. Pending QoS 1/2 publications fail.</summary>
    public async Task DisconnectAsync(bool publishWill = false, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        var transport = Interlocked.Exchange(ref _transport, null);
        if (transport is not null && !transport.Closed.IsCancellationRequested)
        {
            byte reason = publishWill ? (byte)0x04 : (byte)0x00;
            try
            {
                await WriteAsync(transport, (_options.ProtocolVersion, reason),
                    static (output, state) => MqttPacketEncoder.WriteDisconnect(output, state.ProtocolVersion, state.reason), cancellationToken).ConfigureAwait(false);
                await transport.DrainAndCloseAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Asked to hurry: close without DISCONNECT (the broker will publish the will), but still clean up.
                transport.Close(null);
            }
        }
        await ShutdownAsync(transport, "The client disconnected before the broker acknowledged the publication.").ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Drops the connection without DISCONNECT (as a crashed device would), so the broker publishes
    /// the last will; the client does not reconnect.</summary>
    public async Task AbortAsync()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        await _lifetime.CancelAsync().ConfigureAwait(false);
        var transport = Interlocked.Exchange(ref _transport, null);
        transport?.Close(new IOException("Connection aborted by the application."));
        await ShutdownAsync(transport, "The client was aborted before the broker acknowledged the publication.").ConfigureAwait(false);
    }

    /// <summary>QoS 1/2 publications awaiting acknowledgement.</summary>
    public int InFlightCount => _window.Count;

    /// <summary>Topic aliases defined on the current connection (MQTT 5).</summary>
    internal int OutgoingAliasCount => Volatile.Read(ref _transport)?.OutgoingAliases.Count ?? 0;

    /// <summary>Breaks the current connection as a network failure would; the client reconnects.</summary>
    public void BreakConnection() => Volatile.Read(ref _transport)?.Close(new IOException("Connection broken on purpose."));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
        _lifetime.Dispose();
    }

    private async Task ShutdownAsync(MqttTransport? transport, string pendingFailure)
    {
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
        if (transport is not null) await transport.DisposeAsync().ConfigureAwait(false);
        List<MqttOutgoingPublish> pending;
        lock (_session)
        {
            pending = _outgoing.Values.ToList();
            _outgoing.Clear();
        }
        foreach (var p in pending) p.Completion.TrySetException(new InvalidOperationException(pendingFailure));
        FailPendingAcks(new InvalidOperationException("The client was closed."));
        _messages.Writer.TryComplete();
        _connectedSignal.TrySetException(new ObjectDisposedException(nameof(MqttClient)));
        SetState(MqttConnectionState.Disconnected, false, null);
    }

    private async Task<MqttTransport> WaitForTransportAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var transport = Volatile.Read(ref _transport);
            if (transport is not null && !transport.Closed.IsCancellationRequested) return transport;
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _closed) != 0, this);
            if (Volatile.Read(ref _started) == 0) throw new InvalidOperationException("The client is not connected: call ConnectAsync first.");
            await Volatile.Read(ref _connectedSignal).Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<MqttTransport> ConnectOnceAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        MqttTransport? transport = null;
        try
        {
            transport = await MqttTransport.OpenAsync(_options, _logger, timeout.Token).ConfigureAwait(false);
            var request = new MqttConnectRequest(_options.ProtocolVersion, _options.ClientId, _options.CleanStart,
                (ushort)_options.KeepAlive.TotalSeconds, _options.Username, _options.Password, _options.Will,
                _options.SessionExpiryInterval, 65535, (uint)_options.MaximumPacketSize, _options.TopicAliasMaximum);
            await WriteAsync(transport, request, static (output, r) => MqttPacketEncoder.WriteConnect(output, r), timeout.Token).ConfigureAwait(false);
            var connAck = await ReadConnAckAsync(transport, timeout.Token).ConfigureAwait(false);
            var keepAlive = ApplyConnAck(transport, connAck);

            // From here on the transport is live: publishers may write to it while the session is resent.
            Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
            _ = Task.Run(() => ReadLoopAsync(transport), CancellationToken.None);
            _ = Task.Run(() => KeepAliveLoopAsync(transport, keepAlive), CancellationToken.None);
            Volatile.Write(ref _transport, transport);
            await ResendSessionAsync(transport).ConfigureAwait(false);
            if (!connAck.SessionPresent) await RestoreSubscriptionsAsync(transport, timeout.Token).ConfigureAwait(false);
            if (_options.OnConnectedAsync is { } hook) await hook(connAck.SessionPresent, timeout.Token).ConfigureAwait(false);
            if (transport.Closed.IsCancellationRequested) throw new IOException("The connection closed while the session was being restored.");
            SetState(MqttConnectionState.Connected, connAck.SessionPresent, null);
            Volatile.Read(ref _connectedSignal).TrySetResult();
            _logger.LogInformation("MQTT {ClientId} connected to {Host}:{Port} (MQTT {Version}, session present: {SessionPresent})",
                ClientId, _options.Host, _options.Port, _options.ProtocolVersion == MqttProtocolVersion.V500 ? "5.0" : "3.1.1", connAck.SessionPresent);
            return transport;
        }
        catch (Exception ex)
        {
            if (transport is not null)
            {
                Interlocked.CompareExchange(ref _transport, null, transport);
                transport.Close(ex);
                await transport.DisposeAsync().ConfigureAwait(false);
            }
            if (ex is OperationCanceledException && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !_lifetime.IsCancellationRequested)
                throw new TimeoutException($"MQTT connect to {_options.Host}:{_options.Port} did not complete within {_options.ConnectTimeout}.", ex);
            throw;
        }
    }

    private async Task<MqttPacket> ReadConnAckAsync(MqttTransport transport, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await transport.Input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (MqttPacketDecoder.TryDecode(ref buffer, _options.ProtocolVersion, _options.MaximumPacketSize, null, out var packet))
            {
                transport.Input.AdvanceTo(buffer.Start);
                if (packet.Type != MqttPacketType.ConnAck) throw new MqttDecodeException($"Expected CONNACK, received {packet.Type}.");
                var refused = _options.ProtocolVersion == MqttProtocolVersion.V500 ? packet.ReasonCode >= 0x80 : packet.ReasonCode != 0;
                if (refused)
                {
                    var login = _options.ProtocolVersion == MqttProtocolVersion.V500 ? packet.ReasonCode is 0x86 or 0x87 or 0x8C : packet.ReasonCode is 4 or 5;
                    if (login) Interlocked.Increment(ref Statistics.refusedLogins);
                    throw new MqttReasonException("CONNECT", packet.ReasonCode, packet.Properties?.ReasonString);
                }
                return packet;
            }
            if (result.IsCompleted) throw new IOException($"The broker at {_options.Host}:{_options.Port} closed the connection before CONNACK (wrong protocol version, or TLS expected?).");
            transport.Input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private TimeSpan ApplyConnAck(MqttTransport transport, MqttPacket connAck)
    {
        var keepAlive = _options.KeepAlive;
        if (connAck.Properties is { } p)
        {
            _window.SetLimit(Math.Min(_options.MaxInFlight, p.ReceiveMaximum ?? 65535));
            if (_options.UseTopicAliases) transport.OutgoingAliasMaximum = p.TopicAliasMaximum ?? 0;
            if (p.ServerKeepAlive is { } serverKeepAlive) keepAlive = TimeSpan.FromSeconds(serverKeepAlive);
            if (p.AssignedClientIdentifier is { } assigned) ClientId = assigned;
        }
        else
        {
            _window.SetLimit(_options.MaxInFlight);
        }
        return keepAlive;
    }

    private async Task ResendSessionAsync(MqttTransport transport)
    {
        List<MqttOutgoingPublish> pending;
        lock (_session)
        {
            pending = _outgoing.Values.OrderBy(p => p.Order).ToList();
        }
        foreach (var entry in pending)
        {
            if (await SendOutgoingAsync(transport, entry, dup: true).ConfigureAwait(false)) Interlocked.Increment(ref Statistics.resent);
        }
        if (pending.Count > 0) _logger.LogInformation("MQTT {ClientId}: resent {Count} unacknowledged publications", ClientId, pending.Count);
    }

    private async Task RestoreSubscriptionsAsync(MqttTransport transport, CancellationToken cancellationToken)
    {
        MqttSubscription[] subscriptions;
        lock (_session)
        {
            subscriptions = _subscriptions.Values.ToArray();
        }
        // Many filters (a thousand devices) go in a few packets rather than one huge one.
        foreach (var chunk in subscriptions.Chunk(100))
        {
            var ack = await SendSubscribeAsync(transport, chunk, cancellationToken).ConfigureAwait(false);
            CheckSubAck(ack, chunk);
        }
        if (subscriptions.Length > 0) _logger.LogInformation("MQTT {ClientId}: restored {Count} subscriptions", ClientId, subscriptions.Length);
    }

    private Task<MqttPacket> SendSubscribeAsync(MqttTransport transport, IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken) =>
        SendAndAwaitAckAsync(transport, (subscriptions, _options.ProtocolVersion),
            static (output, id, state) => MqttPacketEncoder.WriteSubscribe(output, state.ProtocolVersion, id, state.subscriptions), cancellationToken);

    private IReadOnlyList<MqttQualityOfService> CheckSubAck(MqttPacket ack, IReadOnlyList<MqttSubscription> subscriptions)
    {
        var codes = ack.ReasonCodes ?? Array.Empty<byte>();
        if (codes.Length != subscriptions.Count)
            throw new MqttDecodeException($"SUBACK has {codes.Length} reason codes for {subscriptions.Count} filters.");
        var granted = new MqttQualityOfService[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            if (codes[i] >= 0x80)
            {
                lock (_session) _subscriptions.Remove(subscriptions[i].Filter);
                throw new MqttReasonException($"SUBSCRIBE '{subscriptions[i].Filter}'", codes[i], ack.Properties?.ReasonString);
            }
            granted[i] = (MqttQualityOfService)codes[i];
        }
        return granted;
    }

    private async Task<MqttPacket> SendAndAwaitAckAsync<TState>(MqttTransport transport, TState state,
        Action<IBufferWriter<byte>, ushort, TState> encode, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
        ushort id;
        lock (_session)
        {
            id = NextPacketIdLocked();
            _pendingAcks[id] = completion;
        }
        try
        {
            await WriteAsync(transport, (encode, id, state), static (output, s) => s.encode(output, s.id, s.state), cancellationToken).ConfigureAwait(false);
            return await completion.Task.WaitAsync(AckTimeout, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_session)
            {
                if (_pendingAcks.Remove(id)) _idsInUse[id] = false;
            }
        }
    }

    private ushort NextPacketIdLocked()
    {
        for (var i = 0; i < 65535; i++)
        {
            _lastPacketId = _lastPacketId == 65535 ? (ushort)1 : (ushort)(_lastPacketId + 1);
            if (!_idsInUse[_lastPacketId])
            {
                _idsInUse[_lastPacketId] = true;
                return _lastPacketId;
            }
        }
        throw new InvalidOperationException("All 65535 MQTT packet identifiers are in use.");
    }

    /// <summary>Writes a QoS 1/2 publication (or its PUBREL) unless it already went out on this transport.
    /// Returns false when it was already sent or the transport is closed.</summary>
    private async Task<bool> SendOutgoingAsync(MqttTransport transport, MqttOutgoingPublish entry, bool dup)
    {
        try
        {
            await transport.WriteGate.WaitAsync(transport.Closed).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false; // The reconnect resends it.
        }
        try
        {
            if (transport.OutputCompleted || entry.SentOn == transport || entry.Completion.Task.IsCompleted || !entry.MarkWritten()) return false;
            entry.SentOn = transport;
            if (entry.Released)
                MqttPacketEncoder.WriteAck(transport.Output, _options.ProtocolVersion, MqttPacketType.PubRel, entry.PacketId);
            else
                EncodePublishLocked(transport, entry.Message, entry.PacketId, dup);
            await transport.Output.FlushAsync(transport.Closed).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        finally
        {
            transport.WriteGate.Release();
        }
    }

    private async ValueTask WritePublishAsync(MqttTransport transport, MqttApplicationMessage message, ushort packetId, bool dup, CancellationToken cancellationToken)
    {
        await transport.WriteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (transport.OutputCompleted) return;
            EncodePublishLocked(transport, message, packetId, dup);
            var flush = transport.Output.FlushAsync(cancellationToken);
            if (!flush.IsCompletedSuccessfully) await flush.ConfigureAwait(false);
        }
        finally
        {
            transport.WriteGate.Release();
        }
    }

    /// <summary>Encodes a PUBLISH, choosing a topic alias when the broker allows them. Caller holds the gate.</summary>
    private void EncodePublishLocked(MqttTransport transport, MqttApplicationMessage message, ushort packetId, bool dup)
    {
        ushort alias = 0;
        var omitTopic = false;
        // A resent message carries its full topic: the alias table belongs to the connection it was first sent on.
        if (!dup && transport.OutgoingAliasMaximum > 0)
        {
            if (transport.OutgoingAliases.TryGetValue(message.Topic, out alias))
            {
                omitTopic = true;
            }
            else if (transport.OutgoingAliases.Count < transport.OutgoingAliasMaximum)
            {
                alias = (ushort)(transport.OutgoingAliases.Count + 1);
                transport.OutgoingAliases[message.Topic] = alias;
            }
        }
        MqttPacketEncoder.WritePublish(transport.Output, _options.ProtocolVersion, message, packetId, dup, alias, omitTopic);
        Interlocked.Increment(ref Statistics.published);
    }

    private async ValueTask WriteAsync<TState>(MqttTransport transport, TState state, Action<IBufferWriter<byte>, TState> encode, CancellationToken cancellationToken)
    {
        await transport.WriteGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (transport.OutputCompleted) return;
            encode(transport.Output, state);
            var flush = transport.Output.FlushAsync(cancellationToken);
            if (!flush.IsCompletedSuccessfully) await flush.ConfigureAwait(false);
        }
        finally
        {
            transport.WriteGate.Release();
        }
    }

    private ValueTask WriteAckAsync(MqttTransport transport, MqttPacketType type, ushort packetId, byte reasonCode = 0) =>
        WriteAsync(transport, (_options.ProtocolVersion, type, packetId, reasonCode),
            static (output, s) => MqttPacketEncoder.WriteAck(output, s.ProtocolVersion, s.type, s.packetId, s.reasonCode), transport.Closed);

    private async Task ReadLoopAsync(MqttTransport transport)
    {
        var input = transport.Input;
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(transport.Closed).ConfigureAwait(false);
                Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
                var buffer = result.Buffer;
                try
                {
                    while (MqttPacketDecoder.TryDecode(ref buffer, _options.ProtocolVersion, _options.MaximumPacketSize, _topicCache, out var packet))
                    {
                        var handled = HandlePacketAsync(transport, packet);
                        if (!handled.IsCompletedSuccessfully) await handled.ConfigureAwait(false);
                    }
                    if (result.IsCompleted)
                    {
                        throw new IOException(buffer.IsEmpty
                            ? "The broker closed the connection."
                            : $"The broker closed the connection in the middle of a packet ({buffer.Length} bytes pending).");
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }
            }
        }
        catch (OperationCanceledException) when (transport.Closed.IsCancellationRequested)
        {
            // Closed elsewhere; the cause is recorded there.
        }
        catch (MqttDecodeException ex)
        {
            Interlocked.Increment(ref Statistics.decodeErrors);
            _logger.LogError("MQTT {ClientId}: malformed packet from {Host}:{Port}: {Reason}; closing the connection",
                ClientId, _options.Host, _options.Port, ex.Message);
            if (_options.ProtocolVersion == MqttProtocolVersion.V500)
            {
                try
                {
                    await WriteAsync(transport, _options.ProtocolVersion, static (o, v) => MqttPacketEncoder.WriteDisconnect(o, v, 0x81), transport.Closed).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Already closing.
                }
            }
            transport.Close(ex);
        }
        catch (Exception ex)
        {
            transport.Close(ex);
        }
    }

    private ValueTask HandlePacketAsync(MqttTransport transport, MqttPacket packet)
    {
        switch (packet.Type)
        {
            case MqttPacketType.Publish:
                return HandlePublishAsync(transport, packet);
            case MqttPacketType.PubAck:
            case MqttPacketType.PubComp:
                CompleteOutgoing(packet.PacketId, new MqttPublishResult(packet.ReasonCode, packet.Properties?.ReasonString), packet.Type);
                return default;
            case MqttPacketType.PubRec:
                MqttOutgoingPublish? entry;
                lock (_session) _outgoing.TryGetValue(packet.PacketId, out entry);
                if (entry is null)
                {
                    // The session no longer knows it (e.g. cleaned): release it so the broker can forget it too.
                    return WriteAckAsync(transport, MqttPacketType.PubRel, packet.PacketId, _options.ProtocolVersion == MqttProtocolVersion.V500 ? (byte)0x92 : (byte)0);
                }
                if (packet.ReasonCode >= 0x80)
                {
                    CompleteOutgoing(packet.PacketId, new MqttPublishResult(packet.ReasonCode, packet.Properties?.ReasonString), packet.Type);
                    return default;
                }
                entry.Released = true;
                return WriteAckAsync(transport, MqttPacketType.PubRel, packet.PacketId);
            case MqttPacketType.PubRel:
                _incomingQos2.Remove(packet.PacketId);
                return WriteAckAsync(transport, MqttPacketType.PubComp, packet.PacketId);
            case MqttPacketType.SubAck:
            case MqttPacketType.UnsubAck:
                TaskCompletionSource<MqttPacket>? waiter;
                lock (_session) _pendingAcks.TryGetValue(packet.PacketId, out waiter);
                if (waiter is null)
                    _logger.LogWarning("MQTT {ClientId}: {Type} for unknown packet id {PacketId} ignored", ClientId, packet.Type, packet.PacketId);
                else
                    waiter.TrySetResult(packet);
                return default;
            case MqttPacketType.PingResp:
                return default;
            case MqttPacketType.Disconnect:
                throw new MqttReasonException("The broker sent DISCONNECT", packet.ReasonCode, packet.Properties?.ReasonString);
            case MqttPacketType.ConnAck:
                throw new MqttDecodeException("CONNACK received on an established connection.");
            default:
                throw new MqttDecodeException($"{packet.Type} received but not expected by this client.");
        }
    }

    private void CompleteOutgoing(ushort packetId, MqttPublishResult result, MqttPacketType ackType)
    {
        MqttOutgoingPublish? entry;
        lock (_session)
        {
            if (_outgoing.Remove(packetId, out entry)) _idsInUse[packetId] = false;
        }
        if (entry is null)
        {
            _logger.LogDebug("MQTT {ClientId}: {Type} for unknown packet id {PacketId} ignored", ClientId, ackType, packetId);
            return;
        }
        _window.Release();
        entry.Completion.TrySetResult(result);
    }

    private ValueTask HandlePublishAsync(MqttTransport transport, MqttPacket packet)
    {
        var topic = packet.Topic!;
        if (packet.Properties?.TopicAlias is { } alias)
        {
            if (alias > _options.TopicAliasMaximum)
                throw new MqttDecodeException($"Topic alias {alias} exceeds the maximum of {_options.TopicAliasMaximum} this client announced.");
            if (topic.Length > 0) transport.IncomingAliases[alias] = topic;
            else if (!transport.IncomingAliases.TryGetValue(alias, out topic!))
                throw new MqttDecodeException($"Topic alias {alias} used before it was defined.");
        }
        var message = new MqttReceivedMessage(topic, packet.Payload!, packet.Qos, packet.Retain, packet.Properties);
        switch (packet.Qos)
        {
            case MqttQualityOfService.AtMostOnce:
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
                return default;
            case MqttQualityOfService.AtLeastOnce when _options.ManualAcknowledgement:
                return DeliverHoldingAckAsync(transport, message, MqttPacketType.PubAck, packet.PacketId);
            case MqttQualityOfService.AtLeastOnce:
                if (_messages.Writer.TryWrite(message))
                {
                    Interlocked.Increment(ref Statistics.received);
                    return WriteAckAsync(transport, MqttPacketType.PubAck, packet.PacketId);
                }
                return DeliverSlowlyThenAckAsync(transport, message, MqttPacketType.PubAck, packet.PacketId);
            default:
                if (_incomingQos2.Contains(packet.PacketId))
                    return WriteAckAsync(transport, MqttPacketType.PubRec, packet.PacketId); // a duplicate: already delivered
                _incomingQos2.Add(packet.PacketId);
                if (_options.ManualAcknowledgement) return DeliverHoldingAckAsync(transport, message, MqttPacketType.PubRec, packet.PacketId);
                if (_messages.Writer.TryWrite(message))
                {
                    Interlocked.Increment(ref Statistics.received);
                    return WriteAckAsync(transport, MqttPacketType.PubRec, packet.PacketId);
                }
                return DeliverSlowlyThenAckAsync(transport, message, MqttPacketType.PubRec, packet.PacketId);
        }
    }

    /// <summary>Manual acknowledgement: queue the held acknowledgement (arrival order), then hand the message over,
    /// waiting for room in the buffer (the socket is not read meanwhile, so the broker holds further messages).</summary>
    private ValueTask DeliverHoldingAckAsync(MqttTransport transport, MqttReceivedMessage message, MqttPacketType ack, ushort packetId)
    {
        var held = new MqttHeldAcknowledgement(transport, ack, packetId);
        lock (_heldAcknowledgements) _heldAcknowledgements.Enqueue(held);
        message = message with { HeldAcknowledgement = held };
        if (_messages.Writer.TryWrite(message))
        {
            Interlocked.Increment(ref Statistics.received);
            return default;
        }
        return DeliverSlowlyAsync(transport, message);
    }

    /// <summary>The buffer is full: stop reading the socket (so the broker holds further messages) until the
    /// consumer makes room.</summary>
    private async ValueTask DeliverSlowlyAsync(MqttTransport transport, MqttReceivedMessage message)
    {
        _readerBlocked = true;
        try
        {
            await _messages.Writer.WriteAsync(message, transport.Closed).ConfigureAwait(false);
        }
        finally
        {
            _readerBlocked = false;
            Volatile.Write(ref _lastReceivedTicks, Environment.TickCount64);
        }
        Interlocked.Increment(ref Statistics.received);
    }

    /// <summary>The buffer is full: stop reading the socket (so the broker holds further messages) until the
    /// consumer makes room, and only then acknowledge.</summary>
    private async ValueTask DeliverSlowlyThenAckAsync(MqttTransport transport, MqttReceivedMessage message, MqttPacketType ack, ushort packetId)
    {
        await DeliverSlowlyAsync(transport, message).ConfigureAwait(false);
        await WriteAckAsync(transport, ack, packetId).ConfigureAwait(false);
    }

    private async Task KeepAliveLoopAsync(MqttTransport transport, TimeSpan keepAlive)
    {
        if (keepAlive <= TimeSpan.Zero) return;
        var keepAliveMs = (long)keepAlive.TotalMilliseconds;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(100, keepAliveMs / 4)));
        long pingSentAt = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(transport.Closed).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                var lastReceived = Volatile.Read(ref _lastReceivedTicks);
                if (pingSentAt != 0)
                {
                    if (lastReceived >= pingSentAt) pingSentAt = 0;
                    else if (now - pingSentAt > keepAliveMs && !_readerBlocked)
                    {
                        transport.Close(new TimeoutException($"No answer from the broker within the keep-alive of {keepAlive}."));
                        return;
                    }
                }
                if (pingSentAt == 0 && now - transport.LastSentTicks >= keepAliveMs / 2)
                {
                    pingSentAt = now;
                    await WriteAsync(transport, 0, static (o, _) => MqttPacketEncoder.WritePingReq(o), transport.Closed).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The transport closed.
        }
    }

    private async Task SuperviseAsync(MqttTransport transport)
    {
        while (true)
        {
            var cause = await transport.Completion.ConfigureAwait(false);
            if (_lifetime.IsCancellationRequested) return;
            Interlocked.CompareExchange(ref _transport, null, transport);
            Interlocked.Exchange(ref _connectedSignal, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await transport.DisposeAsync().ConfigureAwait(false);
            FailPendingAcks(new IOException("The connection was lost before the broker answered.", cause));
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
                    transport = await ConnectOnceAsync(_lifetime.Token).ConfigureAwait(false);
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
                }
            }
        }
    }

    private void FailPendingAcks(Exception cause)
    {
        List<TaskCompletionSource<MqttPacket>> waiters;
        lock (_session)
        {
            waiters = _pendingAcks.Values.ToList();
        }
        foreach (var w in waiters) w.TrySetException(cause);
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
}
