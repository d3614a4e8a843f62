using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Orleans;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.Twins;

/// <summary>The silo's <see cref="IPlantEventSink"/>: gathers what the gateways hear into the machine twins.
/// Telemetry is coalesced per twin with at most one ingest call in flight per twin: readings that arrive
/// while a call runs ride in the next one, so batches grow with load and a busy twin costs one grain
/// call per round trip, never one per message. Memory is bounded: when more than
/// <see cref="TwinTelemetryRouterOptions.MaxPendingUpdates"/> readings wait, writers wait (backpressure).</summary>
public sealed partial class TwinTelemetryRouter : IPlantEventSink
{
    private readonly IGrainFactory _grains;
    private readonly ILogger _logger;
    private readonly TwinTelemetryRouterOptions _options;
    private readonly ConcurrentDictionary<string, PendingTwin> _twins = new(StringComparer.Ordinal);
    private readonly PendingBudget _budget;
    private long _applied, _stale, _duplicate, _rejected, _calls, _failedCalls, _retries;

    /// <summary>Creates the router.</summary>
    public TwinTelemetryRouter(IGrainFactory grains, ILogger<TwinTelemetryRouter> logger, TwinTelemetryRouterOptions? options = null)
    {
        _grains = grains;
        _logger = logger;
        _options = options ?? new TwinTelemetryRouterOptions();
        _options.Validate();
        _budget = new PendingBudget(_options.MaxPendingUpdates);
    }

    /// <summary>Counters since start: readings applied, stale, duplicate, rejected; ingest calls made and failed.</summary>
    public TelemetryRouterStatistics Statistics => new(
        Interlocked.Read(ref _applied), Interlocked.Read(ref _stale), Interlocked.Read(ref _duplicate),
        Interlocked.Read(ref _rejected), Interlocked.Read(ref _calls), Interlocked.Read(ref _failedCalls),
        _budget.Pending, Interlocked.Read(ref _retries));

    /// <inheritdoc />
    public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken) =>
        WriteCoreAsync(twinId, updates, null, cancellationToken);

    /// <inheritdoc />
    /// <remarks>The receipt is exited when the ingest call that carried these readings returned: the twin applied
    /// them and its state write was acknowledged by storage. A failed call is retried for up to
    /// <see cref="TwinTelemetryRouterOptions.IngestRetryTimeout"/>; after that the receipt is abandoned (its
    /// <see cref="TelemetryReceipt.Stored"/> faults, so the gateway acknowledges nothing it covers).</remarks>
    public ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, TelemetryReceipt receipt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        return WriteCoreAsync(twinId, updates, receipt, cancellationToken);
    }

    private async ValueTask WriteCoreAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, TelemetryReceipt? receipt, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(twinId);
        if (updates.IsEmpty) return;
        int count = updates.Length;
        if (!_budget.TryTake(count)) await _budget.TakeAsync(count, cancellationToken).ConfigureAwait(false);
        receipt?.Enter();
        while (true)
        {
            var twin = _twins.GetOrAdd(twinId, static id => new PendingTwin(id));
            bool start;
            lock (twin)
            {
                // Retired by its pump after it drained (and removed from the map): take the twin's next entry.
                if (twin.Retired) continue;
                twin.Append(updates.Span);
                if (receipt is not null) (twin.Receipts ??= []).Add(receipt);
                twin.Reserved += count;
                start = !twin.InFlight;
                if (start) twin.InFlight = true;
            }
            if (start) _ = PumpAsync(twin);
            return;
        }
    }

    private async Task PumpAsync(PendingTwin twin)
    {
        var grain = _grains.GetGrain<IMachineGrain>(twin.TwinId);
        long failingSince = 0;
        var retryDelay = FirstRetryDelay;
        while (true)
        {
            TagUpdate[] batch;
            int reserved;
            List<TelemetryReceipt>? receipts;
            lock (twin)
            {
                if (twin.Count == 0)
                {
                    // An idle twin keeps no entry here (100,000 idle twins would hold ~12 MB of entries): the next
                    // reading makes a new one. Writers that found this entry see Retired and take the new one.
                    twin.InFlight = false;
                    twin.Retired = true;
                    twin.ReleaseBuffer();
                    _twins.TryRemove(new KeyValuePair<string, PendingTwin>(twin.TwinId, twin));
                    return;
                }
                batch = twin.TakeBatch();
                reserved = twin.Reserved;
                twin.Reserved = 0;
                receipts = twin.Receipts;
                twin.Receipts = null;
            }
            Exception? failure = null;
            try
            {
                Interlocked.Increment(ref _calls);
                var result = await grain.IngestAsync(new TagBatch(batch)).ConfigureAwait(false);
                Interlocked.Add(ref _applied, result.Applied);
                Interlocked.Add(ref _stale, result.Stale);
                Interlocked.Add(ref _duplicate, result.Duplicate);
                Interlocked.Add(ref _rejected, result.Rejected);
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _failedCalls);
                failure = e;
            }
            if (failure is not null && receipts is not null)
            {
                // Readings under a receipt are acknowledged to their device once stored: a failed call (the twin's silo
                // died and the cluster has not yet declared it dead, storage unreachable) is retried, the readings first
                // and in order, until it succeeds or IngestRetryTimeout has passed since the first failure.
                var now = Environment.TickCount64;
                if (failingSince == 0)
                {
                    failingSince = now;
                    LogIngestRetrying(_logger, failure, twin.TwinId, batch.Length, _options.IngestRetryTimeout);
                }
                if (now - failingSince < (long)_options.IngestRetryTimeout.TotalMilliseconds)
                {
                    lock (twin)
                    {
                        twin.Prepend(batch);
                        twin.Reserved += reserved;
                        if (twin.Receipts is { } later) receipts.AddRange(later);
                        twin.Receipts = receipts;
                    }
                    Interlocked.Increment(ref _retries);
                    await Task.Delay(retryDelay).ConfigureAwait(false);
                    retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, MaxRetryDelay.Ticks));
                    continue;
                }
            }
            if (failure is not null) LogIngestFailed(_logger, failure, twin.TwinId, batch.Length);
            else if (failingSince != 0) LogIngestRecovered(_logger, twin.TwinId, TimeSpan.FromMilliseconds(Environment.TickCount64 - failingSince));
            failingSince = 0;
            retryDelay = FirstRetryDelay;
            if (reserved > 0) _budget.Return(reserved);
            if (receipts is not null)
                foreach (var receipt in receipts)
                {
                    if (failure is null) receipt.Exit();
                    else receipt.Abandon(failure);
                }
        }
    }

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>Waits until every reading handed in so far has been ingested (or failed).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (_twins.Values.Any(t => { lock (t) return t.InFlight; }))
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(description);
        await _grains.GetGrain<IMachineGrain>(description.TwinId).DescribeAsync(description).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken)
    {
        LogConnectivity(_logger, twinId, connectivity, reason);
        await _grains.GetGrain<IMachineGrain>(twinId).SetConnectivityAsync(connectivity, reason).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the connectivity of every twin a gateway described, when the gateway as a whole became reachable or
    /// not (<see cref="IPlantEventSink.SetGatewayConnectivityAsync"/>): the router does not know which twins a gateway
    /// described, its caller does (the silo's twin directory). At most 32 calls in flight; a twin that fails is
    /// logged and the others still hear it.</summary>
    public async ValueTask SetConnectivityOfTwinsAsync(IReadOnlyCollection<string> twinIds, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(twinIds);
        if (twinIds.Count == 0) return;
        await Parallel.ForEachAsync(twinIds, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (twinId, ct) =>
        {
            try { await SetTwinConnectivityAsync(twinId, connectivity, reason, ct).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                _logger.LogWarning(e, "Twin {TwinId} could not be set {Connectivity}: {Reason}", twinId, connectivity, reason);
            }
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken)
    {
        LogOutcome(_logger, twinId, commandId, status, reason);
        await _grains.GetGrain<IMachineGrain>(twinId).ReportCommandOutcomeAsync(commandId, status, reason).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private sealed class PendingTwin(string twinId)
    {
        public readonly string TwinId = twinId;
        // The readings waiting, in arrival order. Sized to the first readings that arrive while the twin is idle, so
        // that the usual batch (one message's readings, taken by the pump before more arrive) is handed to the twin as
        // the array itself: one array a batch, not a buffer and a copy. A drained twin holds none (100,000 idle twins
        // would otherwise keep ~1.4 KB each of empty capacity).
        private TagUpdate[]? _buffer;
        public int Count;
        public List<TelemetryReceipt>? Receipts;

        public void Append(ReadOnlySpan<TagUpdate> updates)
        {
            int needed = Count + updates.Length;
            if (_buffer is null) _buffer = new TagUpdate[updates.Length];
            else if (_buffer.Length < needed)
            {
                // Readings keep arriving while the twin's call is in flight: grow geometrically, copied once at the take.
                var larger = new TagUpdate[Math.Max(needed, _buffer.Length * 2)];
                _buffer.AsSpan(0, Count).CopyTo(larger);
                _buffer = larger;
            }
            updates.CopyTo(_buffer.AsSpan(Count));
            Count = needed;
        }

        /// <summary>Puts a batch whose ingest failed back before the readings that arrived meanwhile.</summary>
        public void Prepend(TagUpdate[] batch)
        {
            var joined = new TagUpdate[batch.Length + Count];
            batch.CopyTo(joined.AsSpan());
            _buffer?.AsSpan(0, Count).CopyTo(joined.AsSpan(batch.Length));
            _buffer = joined;
            Count = joined.Length;
        }

        /// <summary>The readings waiting, as an array the twin's call owns (the batch is immutable once sent).</summary>
        public TagUpdate[] TakeBatch()
        {
            TagUpdate[] batch;
            if (_buffer!.Length == Count)
            {
                batch = _buffer;
                _buffer = null;
            }
            else
            {
                batch = _buffer.AsSpan(0, Count).ToArray();
                // Kept for the next readings, cleared so that it holds no reading's strings meanwhile.
                _buffer.AsSpan(0, Count).Clear();
            }
            Count = 0;
            return batch;
        }

        public void ReleaseBuffer() => _buffer = null;
        public int Reserved;
        public bool InFlight;
        public bool Retired;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Ingest of {Count} readings into twin {TwinId} failed")]
    private static partial void LogIngestFailed(ILogger logger, Exception exception, string twinId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest of {Count} readings into twin {TwinId} failed; readings awaiting acknowledgement are retried for up to {RetryTimeout}")]
    private static partial void LogIngestRetrying(ILogger logger, Exception exception, string twinId, int count, TimeSpan retryTimeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingest into twin {TwinId} succeeded again after {FailingFor} of failures")]
    private static partial void LogIngestRecovered(ILogger logger, string twinId, TimeSpan failingFor);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Twin {TwinId} is {Connectivity}: {Reason}")]
    private static partial void LogConnectivity(ILogger logger, string twinId, TwinConnectivity connectivity, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Command {CommandId} of twin {TwinId}: device reported {Status} ({Reason})")]
    private static partial void LogOutcome(ILogger logger, string twinId, string commandId, CommandDeliveryStatus status, string? reason);
}

/// <summary>Settings of the <see cref="TwinTelemetryRouter"/>, section "Telemetry".</summary>
public sealed class TwinTelemetryRouterOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Telemetry";

    /// <summary>Most readings waiting for their twins before gateways are made to wait. Default 100,000: enough
    /// for a whole site's burst, and small enough that waiting readings die young; a budget of 1,000,000 kept so
    /// many readings alive across garbage collections that ingest ran at half the speed (docs/performance.md).</summary>
    public int MaxPendingUpdates { get; set; } = 100_000;

    /// <summary>How long a failed ingest of readings a gateway acknowledges only once stored (MQTT QoS 1/2) is retried
    /// before the gateway is told they were not stored. Default 60 s: longer than a cluster takes to declare a dead silo
    /// dead and activate its twins elsewhere (a few seconds), and than a grain call's timeout.</summary>
    public TimeSpan IngestRetryTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Checks the values; throws naming a bad one.</summary>
    public void Validate()
    {
        if (MaxPendingUpdates < 1)
            throw new ArgumentException($"Invalid option {SectionName}:{nameof(MaxPendingUpdates)} = '{MaxPendingUpdates}': must be positive.");
        if (IngestRetryTimeout < TimeSpan.Zero || IngestRetryTimeout > TimeSpan.FromDays(1))
            throw new ArgumentException($"Invalid option {SectionName}:{nameof(IngestRetryTimeout)} = '{IngestRetryTimeout}': must be between 00:00:00 and 1.00:00:00.");
    }
}

/// <summary>Counters of the telemetry router.</summary>
/// <param name="Applied">Readings that changed a twin.</param>
/// <param name="Stale">Readings older than the stored ones.</param>
/// <param name="Duplicate">Readings already stored.</param>
/// <param name="Rejected">Readings the twin refused.</param>
/// <param name="Calls">Ingest calls made.</param>
/// <param name="FailedCalls">Ingest calls that failed (logged with the twin id).</param>
/// <param name="Pending">Readings waiting now.</param>
/// <param name="Retries">Failed ingest calls of readings awaiting acknowledgement that were tried again.</param>
public readonly record struct TelemetryRouterStatistics(long Applied, long Stale, long Duplicate, long Rejected, long Calls, long FailedCalls, long Pending, long Retries);
