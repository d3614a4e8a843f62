using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;
using Imv.Gateways.Twins;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>The gateway's connection to one OPC UA endpoint. It keeps a session alive (reconnecting
/// with backoff, reactivating the session on a new channel or creating a new one), maps nodes to twin
/// tags, keeps one subscription whose notifications go into the twins in batches (one call per twin
/// per notification message), and carries commands out: a tag write becomes Write, a method Call.
/// While disconnected the twins are Reconnecting (tags Uncertain), then Offline (Bad).</summary>
public sealed class OpcUaEndpointConnection : IPlantGateway, IAsyncDisposable
{
    private const int MonitoredItemBatch = 1000;
    private const int MaxPendingWritesPerTag = 16;
    private const int MaxUnacknowledged = 256;
    private const int RecentSequenceWindow = 1024;

    private readonly OpcUaEndpointOptions _options;
    private readonly TwinMapping _twinMapping;
    private readonly IPlantEventSink _sink;
    private readonly ILogger _logger;
    private readonly UaClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _ackLock = new();
    private readonly List<SubscriptionAcknowledgement> _acks = [];
    private readonly HashSet<uint> _recentSequences = [];
    private readonly Queue<uint> _recentOrder = new();
    private TaskCompletionSource _online = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private OpcUaMapping? _mapping;
    private Dictionary<(string TwinId, string Tag), TagBinding> _tagIndex = [];
    private Dictionary<(string TwinId, string Method), MethodBinding> _methodIndex = [];
    private string[] _twinIds = [];
    private Task _run = Task.CompletedTask;
    private uint _subscriptionId;
    private volatile bool _subscriptionLost = true;
    private TimeSpan _publishTimeout = TimeSpan.FromSeconds(30);
    private long _sequence;
    private long _notifications;
    private int _reconnects;
    private long _typeMismatches;
    private long _refusedLogins;
    private long _connectFailures;
    private readonly string[] _configuredTwinIds;
    private readonly LogRateLimiter _mismatchLogLimiter = new(MismatchLogsPerSecond);

    /// <summary>How often one tag's type mismatch is logged at most (the count goes on).</summary>
    private static readonly TimeSpan MismatchLogInterval = TimeSpan.FromMinutes(1);

    /// <summary>Type mismatch warnings per second of one endpoint at most, whatever the number of tags.</summary>
    private const int MismatchLogsPerSecond = 10;

    /// <summary>Creates the connection; nothing happens until <see cref="StartAsync"/>.</summary>
    public OpcUaEndpointConnection(OpcUaEndpointOptions options, IPlantEventSink sink, ILogger logger)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _twinMapping = options.TwinMapping();
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _client = new UaClient(new UaClientOptions
        {
            EndpointUrl = options.EndpointUrl,
            UserName = string.IsNullOrEmpty(options.UserName) ? null : options.UserName,
            Password = options.Password,
            RequestTimeout = TimeSpan.FromMilliseconds(options.RequestTimeoutMs),
            SessionName = "Imv gateway " + options.Name,
            ApplicationUri = options.ApplicationUri,
            Security = OpcUaOptionsValidator.SecurityOf(options),
        }, logger);
        _configuredTwinIds = options.Nodes.Select(n => n.TwinId).Where(t => !string.IsNullOrEmpty(t)).Distinct(StringComparer.Ordinal).ToArray();
        OpcUaGatewayMetrics.Register(this);
    }

    /// <inheritdoc />
    public string Name => _options.Name;

    /// <summary>The connection's state as twins see it.</summary>
    public TwinConnectivity State { get; private set; } = TwinConnectivity.Unknown;

    /// <summary>Data change notifications turned into tag updates so far.</summary>
    public long NotificationCount => Interlocked.Read(ref _notifications);

    /// <summary>Readings refused because they did not fit their tag's type (delivered as Bad, logged with a rate limit).</summary>
    public long TypeMismatchCount => Interlocked.Read(ref _typeMismatches);

    /// <summary>Logins (or secured channels) the server refused: wrong user or password, rejected token
    /// or certificate, security mode or policy not offered.</summary>
    public long RefusedLoginCount => Interlocked.Read(ref _refusedLogins);

    /// <summary>Attempts to connect (or keep a connection) that failed, refused logins included.</summary>
    public long ConnectFailureCount => Interlocked.Read(ref _connectFailures);

    /// <summary>The connection's counters, for the API and diagnostics.</summary>
    public OpcUaGatewayStatistics Statistics => new(Name, State, NotificationCount, TypeMismatchCount, ReconnectCount, ConnectFailureCount, RefusedLoginCount);

    /// <summary>How many times the connection was re-established after a loss.</summary>
    public int ReconnectCount => Volatile.Read(ref _reconnects);

    /// <summary>The current subscription id (0 without one).</summary>
    public uint SubscriptionId => _subscriptionId;

    /// <summary>The fastest sampling interval the server granted to a monitored item, in ms: with the
    /// item count it bounds how many notifications the server can send.</summary>
    public double RevisedSamplingIntervalMs { get; private set; }

    /// <summary>The client (for diagnostics and tests).</summary>
    public UaClient Client => _client;

    /// <summary>The twins this endpoint feeds (after the mapping was resolved).</summary>
    public IReadOnlyList<string> TwinIds => _twinIds;

    /// <summary>Starts connecting in the background; the connection keeps itself alive until stopped.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _run = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Completes when the connection is online (session active, subscription running).</summary>
    public Task WaitUntilOnlineAsync(CancellationToken cancellationToken) => Volatile.Read(ref _online).Task.WaitAsync(cancellationToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(_options.ReconnectMinDelayMs);
        var loginDelay = TimeSpan.FromMilliseconds(_options.LoginRetryMinDelayMs);
        var everConnected = false;
        var disconnectedSince = DateTimeOffset.UtcNow;
        string? lastRefusal = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            var refused = false;
            string reason;
            try
            {
                var newSession = true;
                if (_client.SessionId.IsNull) await _client.ConnectAsync(cancellationToken).ConfigureAwait(false);
                else newSession = await _client.ReconnectAsync(cancellationToken).ConfigureAwait(false);
                if (lastRefusal is not null)
                {
                    _logger.LogInformation("OPC UA endpoint {Endpoint} ({Url}) accepted the login again", _options.Name, _options.EndpointUrl);
                    lastRefusal = null;
                }
                if (_mapping is null) await ResolveMappingAsync(cancellationToken).ConfigureAwait(false);
                await EnsureSubscriptionAsync(newSession, cancellationToken).ConfigureAwait(false);
                if (everConnected) Interlocked.Increment(ref _reconnects);
                everConnected = true;
                delay = TimeSpan.FromMilliseconds(_options.ReconnectMinDelayMs);
                loginDelay = TimeSpan.FromMilliseconds(_options.LoginRetryMinDelayMs);
                await SetConnectivityAsync(TwinConnectivity.Online, "connected to " + _options.EndpointUrl, cancellationToken).ConfigureAwait(false);
                _online.TrySetResult();
                await PublishLoopAsync(cancellationToken).ConfigureAwait(false);
                reason = "lost connection to " + _options.EndpointUrl;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                if (State == TwinConnectivity.Online) disconnectedSince = DateTimeOffset.UtcNow;
                Volatile.Write(ref _online, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                Interlocked.Increment(ref _connectFailures);
                if (ex is UaServiceException service && IsRefusal(service.Status))
                {
                    // The server refused the login or the channel's security: retrying at the reconnect pace
                    // would lock out an account on a PLC that locks after failures. Back off exponentially up
                    // to LoginRetryMaxDelayMs; log once per change of the refusal, count every one.
                    refused = true;
                    Interlocked.Increment(ref _refusedLogins);
                    if (!string.Equals(lastRefusal, service.Message, StringComparison.Ordinal))
                    {
                        _logger.LogWarning("OPC UA endpoint {Endpoint} ({Url}) refused the login as {Identity}: {Error}; retrying in {Delay} ms, backing off up to {MaxDelay} ms (logged again when the refusal changes)",
                            _options.Name, _options.EndpointUrl, string.IsNullOrEmpty(_options.UserName) ? "anonymous" : "user " + _options.UserName,
                            service.Message, (int)loginDelay.TotalMilliseconds, _options.LoginRetryMaxDelayMs);
                        lastRefusal = service.Message;
                    }
                    else
                    {
                        _logger.LogDebug("OPC UA endpoint {Endpoint} refused the login again ({Status}); retrying in {Delay} ms",
                            _options.Name, service.StatusName, (int)loginDelay.TotalMilliseconds);
                    }
                }
                else if (ex is UaServiceException or UaDecodingException or IOException or System.Net.Sockets.SocketException)
                {
                    _logger.LogWarning("OPC UA endpoint {Endpoint} ({Url}) disconnected: {Error}; retrying in {Delay} ms",
                        _options.Name, _options.EndpointUrl, ex.Message, (int)delay.TotalMilliseconds);
                }
                else
                {
                    // Not a protocol failure: a bug or a bad mapping. Still retry, so one endpoint's problem
                    // does not stop the gateway, but log the whole exception.
                    _logger.LogError(ex, "OPC UA endpoint {Endpoint} ({Url}) failed; retrying in {Delay} ms",
                        _options.Name, _options.EndpointUrl, (int)delay.TotalMilliseconds);
                }
                reason = (refused ? "login refused by " : everConnected ? "lost connection to " : "cannot connect to ") + _options.EndpointUrl + ": " + ex.Message;
            }
            try
            {
                // Offline at once when the login is refused or the endpoint was never reached in this process
                // (twins restored from storage must not look live); after a loss, Reconnecting (Uncertain)
                // first and Offline after OfflineAfterMs.
                var offline = refused || !everConnected || DateTimeOffset.UtcNow - disconnectedSince > TimeSpan.FromMilliseconds(_options.OfflineAfterMs);
                try
                {
                    await SetConnectivityAsync(offline ? TwinConnectivity.Offline : TwinConnectivity.Reconnecting, reason, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The sink failed (the grid is busy or stopping): keep the connection loop alive and try again
                    // at the next transition.
                    State = TwinConnectivity.Unknown;
                    _logger.LogError(ex, "OPC UA endpoint {Endpoint}: telling its twins they are {State} failed", Name, offline ? TwinConnectivity.Offline : TwinConnectivity.Reconnecting);
                }
                await _client.DropChannelAsync().ConfigureAwait(false);
                await Task.Delay(refused ? loginDelay : delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            if (refused) loginDelay = TimeSpan.FromMilliseconds(Math.Min(loginDelay.TotalMilliseconds * 2, _options.LoginRetryMaxDelayMs));
            else delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, _options.ReconnectMaxDelayMs));
        }
    }

    /// <summary>Status codes by which a server refuses who the gateway is (user, token, certificate) or
    /// the channel's security: retried with the login backoff, not the reconnect pace.</summary>
    internal static bool IsRefusal(uint status) => status is StatusCode.BadUserAccessDenied or StatusCode.BadIdentityTokenRejected
        or StatusCode.BadIdentityTokenInvalid or StatusCode.BadUserSignatureInvalid or StatusCode.BadSecurityChecksFailed
        or StatusCode.BadCertificateUntrusted or StatusCode.BadCertificateInvalid or StatusCode.BadSecurityModeRejected
        or StatusCode.BadSecurityPolicyRejected;

    private async Task ResolveMappingAsync(CancellationToken cancellationToken)
    {
        var mapping = await OpcUaMappingResolver.ResolveAsync(_client, _options, _logger, cancellationToken).ConfigureAwait(false);
        _tagIndex = mapping.Tags.ToDictionary(t => (t.TwinId, t.Tag));
        _methodIndex = mapping.Methods.GroupBy(m => (m.TwinId, m.Method)).ToDictionary(g => g.Key, g => g.First());
        _twinIds = mapping.Tags.Select(t => t.TwinId).Concat(mapping.Methods.Select(m => m.TwinId)).Distinct(StringComparer.Ordinal).ToArray();
        _mapping = mapping;
        foreach (var twinId in _twinIds) await DescribeTwinAsync(twinId, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("OPC UA endpoint {Endpoint}: {Tags} tags and {Methods} methods of {Twins} twins mapped",
            Name, mapping.Tags.Count, mapping.Methods.Count, _twinIds.Length);
    }

    /// <summary>Tells the sink what the gateway knows of one twin: its tags with their metadata.</summary>
    private async Task DescribeTwinAsync(string twinId, CancellationToken cancellationToken)
    {
        var mapping = _mapping!;
        var tags = mapping.Tags.Where(t => string.Equals(t.TwinId, twinId, StringComparison.Ordinal)).Select(t => t.ToMetadata(Name)).ToArray();
        var methods = mapping.Methods.Where(m => string.Equals(m.TwinId, twinId, StringComparison.Ordinal))
            .DistinctBy(m => m.Method, StringComparer.Ordinal).Select(m => m.ToMetadata()).ToArray();
        await _sink.DescribeTwinAsync(_twinMapping.Describe(twinId, Name, tags, methods), cancellationToken).ConfigureAwait(false);
    }

    private async Task EnsureSubscriptionAsync(bool newSession, CancellationToken cancellationToken)
    {
        if (_subscriptionId != 0 && !_subscriptionLost && !newSession) return;
        if (_subscriptionId != 0 && newSession && !_subscriptionLost)
        {
            try
            {
                var transfer = await _client.TransferSubscriptionsAsync([_subscriptionId], true, cancellationToken).ConfigureAwait(false);
                if (transfer.Length == 1 && new StatusCode(transfer[0].StatusCode).IsGood)
                {
                    _logger.LogInformation("Subscription {SubscriptionId} transferred to the new session on {Endpoint}", _subscriptionId, Name);
                    return;
                }
                _logger.LogInformation("Subscription {SubscriptionId} could not be transferred ({Status}); recreating it",
                    _subscriptionId, transfer.Length == 1 ? StatusCode.NameOf(transfer[0].StatusCode) : "no result");
            }
            catch (UaServiceException ex) when (ex.Status != StatusCode.BadSecureChannelClosed && ex.Status != StatusCode.BadTimeout)
            {
                _logger.LogInformation("TransferSubscriptions failed on {Endpoint} ({Status}); recreating the subscription", Name, ex.StatusName);
            }
        }
        if (_subscriptionId != 0 && !newSession)
        {
            // The session survived but the subscription is suspect: delete it so the server does not
            // keep feeding an orphan until its lifetime runs out.
            try
            {
                await _client.DeleteSubscriptionsAsync([_subscriptionId], cancellationToken).ConfigureAwait(false);
            }
            catch (UaServiceException ex)
            {
                _logger.LogDebug("Deleting subscription {SubscriptionId} on {Endpoint} failed: {Status}", _subscriptionId, Name, ex.StatusName);
            }
        }
        await CreateSubscriptionAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task CreateSubscriptionAsync(CancellationToken cancellationToken)
    {
        var keepAlive = Math.Max(1u, _options.KeepAliveCount);
        var revision = await _client.CreateSubscriptionAsync(_options.PublishingIntervalMs, keepAlive * 3, keepAlive, (uint)_options.MaxNotificationsPerPublish, cancellationToken).ConfigureAwait(false);
        _subscriptionId = revision.SubscriptionId;
        _subscriptionLost = false;
        // A keep-alive must arrive within the keep-alive period; allow two more and the request timeout.
        _publishTimeout = TimeSpan.FromMilliseconds(revision.PublishingInterval * revision.MaxKeepAliveCount * 3 + _options.RequestTimeoutMs);
        lock (_ackLock)
        {
            _acks.Clear();
            _recentSequences.Clear();
            _recentOrder.Clear();
        }
        var tags = _mapping!.Tags;
        var failed = 0;
        var fastest = double.MaxValue;
        List<(TagBinding Tag, uint Status)>? rejected = null;
        for (var start = 0; start < tags.Count; start += MonitoredItemBatch)
        {
            var count = Math.Min(MonitoredItemBatch, tags.Count - start);
            var requests = new MonitoredItemRequest[count];
            for (var i = 0; i < count; i++)
            {
                var tag = tags[start + i];
                requests[i] = new MonitoredItemRequest(tag.NodeId, (uint)(start + i), tag.SamplingIntervalMs ?? _options.SamplingIntervalMs,
                    _options.QueueSize, tag.Filter);
            }
            var results = await _client.CreateMonitoredItemsAsync(_subscriptionId, requests, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < results.Length && i < count; i++)
            {
                var tag = tags[start + i];
                if (new StatusCode(results[i].StatusCode).IsBad)
                {
                    failed++;
                    (rejected ??= []).Add((tag, results[i].StatusCode));
                    _logger.LogWarning("Monitoring {NodeId} for {TwinId}.{Tag} failed: {Status}", tag.NodeId, tag.TwinId, tag.Tag, StatusCode.NameOf(results[i].StatusCode));
                }
                tag.MonitoredItemId = results[i].MonitoredItemId;
                if (new StatusCode(results[i].StatusCode).IsGood) fastest = Math.Min(fastest, results[i].RevisedSamplingInterval);
            }
        }
        RevisedSamplingIntervalMs = fastest == double.MaxValue ? 0 : fastest;
        if (rejected is not null)
        {
            // A tag the server will never report is Bad, not silently missing.
            var now = DateTimeOffset.UtcNow;
            foreach (var twin in rejected.GroupBy(r => r.Tag.TwinId, StringComparer.Ordinal))
            {
                var updates = twin.Select(r => new TagUpdate(r.Tag.Tag, TagValue.None, TagQuality.Bad, now, Interlocked.Increment(ref _sequence))).ToArray();
                await _sink.WriteTelemetryAsync(twin.Key, updates, cancellationToken).ConfigureAwait(false);
            }
        }
        _logger.LogInformation("Subscription {SubscriptionId} on {Endpoint}: {Items} monitored items ({Failed} failed), publishing every {Interval} ms, sampling from {Sampling} ms",
            _subscriptionId, Name, tags.Count - failed, failed, revision.PublishingInterval, RevisedSamplingIntervalMs);
    }

    private async Task PublishLoopAsync(CancellationToken cancellationToken)
    {
        var channel = _client.Channel ?? throw new UaServiceException(StatusCode.BadNotConnected, "No channel");
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = new Task[Math.Max(1, _options.PublishRequests) + 1];
        for (var i = 0; i < workers.Length - 1; i++) workers[i] = PublishWorkerAsync(linked.Token);
        workers[^1] = channel.Closed;
        var first = await Task.WhenAny(workers).ConfigureAwait(false);
        await linked.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(workers[..^1]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or UaServiceException or UaDecodingException)
        {
            // The first failure is reported below; the others are its echoes.
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (first == workers[^1])
        {
            var reason = channel.Closed.Result;
            throw new UaServiceException(reason is UaServiceException u ? u.Status : StatusCode.BadConnectionClosed, "The channel closed", reason ?? new IOException("closed"));
        }
        await first.ConfigureAwait(false);
        throw new UaServiceException(StatusCode.BadUnexpectedError, "Publishing stopped");
    }

    private async Task PublishWorkerAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            SubscriptionAcknowledgement[] acks;
            lock (_ackLock)
            {
                acks = [.. _acks];
                _acks.Clear();
            }
            PublishResult result;
            try
            {
                result = await _client.PublishAsync(acks, _publishTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (UaServiceException ex) when (ex.Status == StatusCode.BadTooManyPublishRequests)
            {
                Requeue(acks);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(50, _options.PublishingIntervalMs)), cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (UaServiceException ex) when (ex.Status is StatusCode.BadNoSubscription or StatusCode.BadSubscriptionIdInvalid)
            {
                _subscriptionLost = true;
                throw;
            }
            await HandlePublishAsync(result, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Requeue(SubscriptionAcknowledgement[] acks)
    {
        lock (_ackLock)
        {
            _acks.InsertRange(0, acks);
            if (_acks.Count > MaxUnacknowledged) _acks.RemoveRange(0, _acks.Count - MaxUnacknowledged);
        }
    }

    private async Task HandlePublishAsync(PublishResult result, CancellationToken cancellationToken)
    {
        if (result.SubscriptionId != _subscriptionId) return;
        var message = result.Message;
        if (message.NotificationData.Length > 0)
        {
            if (!MarkProcessed(message.SequenceNumber)) return;
            await ProcessMessageAsync(message, cancellationToken).ConfigureAwait(false);
        }
        // Messages the server still holds that this client never saw (a response lost with the old
        // channel): fetch them again, in order.
        foreach (var available in result.AvailableSequenceNumbers)
        {
            bool seen;
            lock (_ackLock) seen = _recentSequences.Contains(available);
            if (seen || available == message.SequenceNumber) continue;
            try
            {
                var missed = await _client.RepublishAsync(_subscriptionId, available, cancellationToken).ConfigureAwait(false);
                if (MarkProcessed(available)) await ProcessMessageAsync(missed, cancellationToken).ConfigureAwait(false);
            }
            catch (UaServiceException ex) when (ex.Status == StatusCode.BadMessageNotAvailable)
            {
                _logger.LogDebug("Notification {Sequence} of subscription {SubscriptionId} is no longer available", available, _subscriptionId);
                MarkProcessed(available);
            }
        }
    }

    /// <summary>Records a sequence number as processed and queues its acknowledgement; false when it
    /// was processed already.</summary>
    private bool MarkProcessed(uint sequence)
    {
        lock (_ackLock)
        {
            if (!_recentSequences.Add(sequence)) return false;
            _recentOrder.Enqueue(sequence);
            if (_recentOrder.Count > RecentSequenceWindow) _recentSequences.Remove(_recentOrder.Dequeue());
            _acks.Add(new SubscriptionAcknowledgement(_subscriptionId, sequence));
            if (_acks.Count > MaxUnacknowledged) _acks.RemoveAt(0);
            return true;
        }
    }

    private async Task ProcessMessageAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        var tags = _mapping!.Tags;
        foreach (var data in message.NotificationData)
        {
            switch (data.Decoded)
            {
                case DataChangeNotification changes:
                    try
                    {
                        await DeliverAsync(changes.MonitoredItems, tags, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        changes.Release();
                    }
                    break;
                case StatusChangeNotification status when new StatusCode(status.Status).IsBad:
                    _subscriptionLost = true;
                    throw new UaServiceException(status.Status, $"Subscription {_subscriptionId} on {Name} was closed by the server");
                default:
                    break;
            }
        }
    }

    private async Task DeliverAsync(ReadOnlyMemory<MonitoredItemNotification> items, IReadOnlyList<TagBinding> tags, CancellationToken cancellationToken)
    {
        // One batch per twin per notification message, cut at MaxBatch updates so that no batch lands
        // on the large object heap; items of one twin are usually adjacent, so the last twin's batch
        // is kept at hand and the dictionary is rarely consulted.
        var byTwin = new Dictionary<string, TwinBatch>(StringComparer.Ordinal);
        TwinBatch? last = null;
        List<(TagBinding Tag, PendingWrite Pending)>? confirmed = null;
        var now = DateTimeOffset.UtcNow;
        var total = items.Length;
        for (var index = 0; index < total; index++)
        {
            var item = items.Span[index];
            if (item.ClientHandle >= tags.Count) continue;
            var tag = tags[(int)item.ClientHandle];
            var value = TagValueConversion.ToTagValue(item.Value.Value);
            var quality = TagValueConversion.ToQuality(item.Value.StatusCode);
            if (!TagShape.TryFit(tag, ref value, out var retype))
            {
                if (retype)
                {
                    await RetypeAsync(tag, item.Value.Value, value.DataType, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    // A reading that really does not fit its tag: counted, logged with a rate limit, and
                    // delivered as Bad without a value (the twin keeps its type; the operator sees Bad).
                    ReportMismatch(tag, value, now);
                    value = TagValue.None;
                    quality = TagQuality.Bad;
                }
            }
            var timestamp = item.Value.SourceTimestamp ?? item.Value.ServerTimestamp;
            var update = new TagUpdate(tag.Tag, value, quality,
                timestamp is { } t && t != DateTime.MinValue ? new DateTimeOffset(t, TimeSpan.Zero) : now,
                Interlocked.Increment(ref _sequence));
            if (last is null || !ReferenceEquals(last.TwinId, tag.TwinId))
            {
                if (!byTwin.TryGetValue(tag.TwinId, out last))
                {
                    last = new TwinBatch(tag.TwinId, Math.Min(total - index, TwinBatch.MaxBatch));
                    byTwin[tag.TwinId] = last;
                }
            }
            if (last.IsFull)
            {
                await _sink.WriteTelemetryAsync(last.TwinId, last.Take(Math.Min(total - index, TwinBatch.MaxBatch)), cancellationToken).ConfigureAwait(false);
            }
            last.Add(update);
            lock (tag)
            {
                tag.LastValue = value;
                tag.HasGoodValue = quality == TagQuality.Good;
                if (tag.PendingWrites.Count > 0) MatchPendingWrites(tag, value, quality, now, ref confirmed);
            }
        }
        foreach (var batch in byTwin.Values)
        {
            if (batch.Count > 0) await _sink.WriteTelemetryAsync(batch.TwinId, batch.Take(0), cancellationToken).ConfigureAwait(false);
        }
        Interlocked.Add(ref _notifications, total);
        if (confirmed is null) return;
        foreach (var (tag, pending) in confirmed)
        {
            await _sink.ReportCommandOutcomeAsync(tag.TwinId, pending.CommandId,
                pending.Confirmed ? CommandDeliveryStatus.Applied : CommandDeliveryStatus.Expired,
                pending.Confirmed ? null : "the value was not reported before the command expired", cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RetypeAsync(TagBinding tag, Variant received, TagDataType type, CancellationToken cancellationToken)
    {
        var previous = tag.TagType;
        lock (tag)
        {
            tag.TagType = type;
            tag.TypeKnown = true;
            tag.IsArray = received.IsArray;
            if (tag.DataType is null || !received.IsNull) tag.DataType = received.Type;
        }
        _logger.LogInformation(
            "OPC UA endpoint {Endpoint}: {TwinId}.{Tag} ({NodeId}, ValueRank {ValueRank}) is typed by what the server sends: {Previous} -> {Type}",
            Name, tag.TwinId, tag.Tag, tag.NodeId, tag.ValueRank, previous, type);
        await DescribeTwinAsync(tag.TwinId, cancellationToken).ConfigureAwait(false);
    }

    private void ReportMismatch(TagBinding tag, TagValue received, DateTimeOffset now)
    {
        Interlocked.Increment(ref _typeMismatches);
        long suppressed;
        lock (tag)
        {
            tag.Mismatches++;
            tag.MismatchesUnlogged++;
            if (tag.Mismatches > 1 && now - tag.MismatchLoggedAt < MismatchLogInterval) return;
            if (!_mismatchLogLimiter.TryTake(now)) return;
            suppressed = tag.MismatchesUnlogged - 1;
            tag.MismatchesUnlogged = 0;
            tag.MismatchLoggedAt = now;
        }
        _logger.LogWarning(
            "OPC UA endpoint {Endpoint}: reading of {TwinId}.{Tag} ({NodeId}) refused: expected {Expected}, received {Received} ({Value}); delivered as Bad. {Suppressed} more since the last warning, {Total} in all",
            Name, tag.TwinId, tag.Tag, tag.NodeId, tag.TagType, received.DataType, received.ToString(), suppressed, tag.Mismatches);
    }

    /// <summary>Settles the writes a reported value confirms (or that expired); called under the tag's lock.</summary>
    private static void MatchPendingWrites(TagBinding tag, TagValue value, TagQuality quality, DateTimeOffset now, ref List<(TagBinding, PendingWrite)>? confirmed)
    {
        for (var i = tag.PendingWrites.Count - 1; i >= 0; i--)
        {
            var pending = tag.PendingWrites[i];
            var match = quality == TagQuality.Good && pending.Value.Equals(value);
            if (!match && pending.ExpiresAt > now) continue;
            tag.PendingWrites.RemoveAt(i);
            pending.Confirmed = match;
            if (pending.Returned) (confirmed ??= []).Add((tag, pending));
        }
    }

    private async Task SetConnectivityAsync(TwinConnectivity state, string reason, CancellationToken cancellationToken)
    {
        if (State == state) return;
        State = state;
        // Before the first mapping the twins are those configured by node; the sink also hears it per
        // gateway, for the twins discovery found before a restart.
        var twinIds = _mapping is null ? _configuredTwinIds : _twinIds;
        if (state != TwinConnectivity.Online && _mapping is not null)
        {
            foreach (var tag in _mapping.Tags)
            {
                lock (tag) tag.HasGoodValue = false;
            }
        }
        await _sink.SetGatewayConnectivityAsync(Name, state, reason, cancellationToken).ConfigureAwait(false);
        foreach (var twinId in twinIds)
            await _sink.SetTwinConnectivityAsync(twinId, state, reason, cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("OPC UA endpoint {Endpoint} is {State}: {Reason}", Name, state, reason);
    }

    /// <inheritdoc />
    public async ValueTask<CommandDelivery> SendAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.ExpiresAt <= DateTimeOffset.UtcNow)
            return CommandDelivery.Rejected("Expired before it reached " + Name);
        if (State != TwinConnectivity.Online || !_client.IsConnected)
            return CommandDelivery.Rejected($"BadNotConnected: {Name} is not connected to {_options.EndpointUrl}");
        try
        {
            if (command.Tag is not null) return await WriteAsync(command, cancellationToken).ConfigureAwait(false);
            if (command.Method is not null) return await CallAsync(command, cancellationToken).ConfigureAwait(false);
            return CommandDelivery.Rejected("The command names neither a tag nor a method");
        }
        catch (UaServiceException ex)
        {
            _logger.LogWarning("Command {CommandId} for {TwinId} failed on {Endpoint}: {Error}", command.CommandId, command.TwinId, Name, ex.Message);
            return CommandDelivery.Rejected(ex.StatusName);
        }
    }

    private async Task<CommandDelivery> WriteAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        if (!_tagIndex.TryGetValue((command.TwinId, command.Tag!), out var tag))
            return CommandDelivery.Rejected($"BadNodeIdUnknown: twin {command.TwinId} has no tag {command.Tag} on {Name}");
        if (!TagValueConversion.TryToVariant(command.Value, tag.DataType, out var variant, out var error))
            return CommandDelivery.Rejected(error!);
        // Registered before the write so that a notification racing the response is not missed.
        var pending = new PendingWrite(command.CommandId, command.Value, command.ExpiresAt);
        lock (tag)
        {
            if (tag.PendingWrites.Count >= MaxPendingWritesPerTag) tag.PendingWrites.RemoveAt(0);
            tag.PendingWrites.Add(pending);
        }
        uint status;
        try
        {
            status = await _client.WriteValueAsync(tag.NodeId, variant, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (tag) tag.PendingWrites.Remove(pending);
            throw;
        }
        lock (tag)
        {
            if (new StatusCode(status).IsBad)
            {
                tag.PendingWrites.Remove(pending);
                return CommandDelivery.Rejected(StatusCode.NameOf(status));
            }
            // Already reported back, or unchanged (a monitored item reports changes only): applied.
            if (pending.Confirmed || tag.HasGoodValue && tag.LastValue.Equals(command.Value))
            {
                tag.PendingWrites.Remove(pending);
                return CommandDelivery.Applied;
            }
            pending.Returned = true;
            return CommandDelivery.Delivered;
        }
    }

    private async Task<CommandDelivery> CallAsync(DeviceCommand command, CancellationToken cancellationToken)
    {
        if (!_methodIndex.TryGetValue((command.TwinId, command.Method!), out var method))
            return CommandDelivery.Rejected($"BadMethodInvalid: twin {command.TwinId} has no method {command.Method} on {Name}");
        Variant[] inputs;
        if (method.InputArguments is { } declared)
        {
            // The method's declared arguments: each value converted to its type, or the command rejected naming the argument.
            if (!MethodArgumentConversion.TryConvert(command.Method!, declared, command.Arguments, out inputs, out var error))
                return CommandDelivery.Rejected(error!);
        }
        else
        {
            inputs = new Variant[command.Arguments.Count];
            for (var i = 0; i < inputs.Length; i++)
            {
                var argument = command.Arguments[i];
                // Without the method's argument types, integers go as Int32 when they fit: the common PLC width.
                var target = argument.DataType == TagDataType.Integer && argument.AsInteger() is >= int.MinValue and <= int.MaxValue ? BuiltInType.Int32 : (BuiltInType?)null;
                if (!TagValueConversion.TryToVariant(argument, target, out inputs[i], out var error))
                    return CommandDelivery.Rejected($"{error} (argument {i + 1})");
            }
        }
        var result = (await _client.CallAsync([new CallMethodRequest(method.ObjectId, method.MethodId, inputs)], cancellationToken).ConfigureAwait(false))[0];
        if (new StatusCode(result.StatusCode).IsBad)
        {
            var argumentErrors = result.InputArgumentResults.Select((s, i) => (s, i)).Where(x => new StatusCode(x.s).IsBad)
                .Select(x => $"argument {x.i}: {StatusCode.NameOf(x.s)}").ToArray();
            return CommandDelivery.Rejected(argumentErrors.Length == 0
                ? StatusCode.NameOf(result.StatusCode)
                : StatusCode.NameOf(result.StatusCode) + " (" + string.Join(", ", argumentErrors) + ")");
        }
        var outputs = result.OutputArguments.Select(v => TagValueConversion.ToTagValue(v)).ToArray();
        return new CommandDelivery(CommandDeliveryStatus.Applied, null, outputs);
    }

    private int _stopped;

    /// <summary>Stops the connection and closes the session; once (a host stops it, then disposes it: the second call
    /// must not tell the twins again, the grid is gone by then).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
        await _client.CloseAsync(cancellationToken).ConfigureAwait(false);
        if (_mapping is not null)
        {
            State = TwinConnectivity.Online; // force the transition below to be reported
            try
            {
                await SetConnectivityAsync(TwinConnectivity.Offline, "gateway stopped", cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException or InvalidOperationException)
            {
                // The grid stopped first (a host that stops gateways after the silo): the twins cannot be told any
                // more, and a stop must not fail for it. Hosts should stop gateways before the grid.
                _logger.LogWarning("OPC UA endpoint {Endpoint}: its twins could not be marked Offline at stop: {Error}", Name, ex.Message);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            _logger.LogWarning(ex, "Stopping OPC UA endpoint {Endpoint} timed out", Name);
        }
        _stop.Dispose();
        OpcUaGatewayMetrics.Unregister(this);
    }
}
