using System.Text.Json;
using System.Threading.Channels;
using Imv.Grains.Interfaces.Assets;

namespace Imv.Silo.Audit;

/// <summary>Writes audit entries to the append-only, hash-chained audit ledger (<see cref="LedgerNames.Audit"/>), in
/// the order they came, and lets the request wait until its entry is stored: an answered change is an audited one,
/// even if the silo is killed right after. A single writer drains the queue in groups (<see cref="ILedgerGrain.AppendManyAsync"/>,
/// up to <see cref="MaxGroup"/> entries), so concurrent requests share the ledger's writes instead of queueing one
/// write each. Changes wait for room in the queue (backpressure); refused requests (401/403) are dropped when the
/// queue is full, so a flood of bad credentials cannot stall the API: those drops are counted and logged at most
/// once a minute.</summary>
public sealed partial class AuditLog : BackgroundService
{
    /// <summary>Entries waiting to be appended at most.</summary>
    public const int Capacity = 10_000;

    /// <summary>Entries appended together at most.</summary>
    public const int MaxGroup = 256;

    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(Capacity) { SingleReader = true });
    private readonly IGrainFactory _grains;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditLog> _logger;
    private long _dropped;
    private long _lost;
    private long _lastDropLog;
    private long _sequence;
    private TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pending;

    /// <summary>Creates the log.</summary>
    public AuditLog(IGrainFactory grains, TimeProvider time, ILogger<AuditLog> logger)
    {
        _grains = grains;
        _time = time;
        _logger = logger;
        _idle.TrySetResult();
    }

    /// <summary>Refused entries dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Entries that could not be appended after retries (each logged as an error).</summary>
    public long Lost => Interlocked.Read(ref _lost);

    /// <summary>One request worth recording.</summary>
    /// <param name="Who">The avatar (or "(anonymous)").</param>
    /// <param name="What">Method and path.</param>
    /// <param name="Status">The answer's status code.</param>
    /// <param name="From">The client's address.</param>
    /// <param name="Via">How it authenticated (<c>key:&lt;id&gt;</c>, <c>jwt</c>) or why it was refused.</param>
    public sealed record AuditEvent(string Who, string What, int Status, string? From, string? Via);

    private sealed record Pending(LedgerRecord Record, TaskCompletionSource<bool> Stored);

    /// <summary>Records an entry and completes once it is in the ledger (true), or once appending it failed after
    /// retries (false; logged as an error). A change waits for room in the queue; a refusal is dropped (counted,
    /// false) when the queue is full. Cancelling stops the wait, not the append.</summary>
    public async ValueTask<bool> RecordAsync(AuditEvent e, bool refusal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        var now = _time.GetUtcNow();
        var id = $"{now.UtcTicks:x16}-{Interlocked.Increment(ref _sequence):x8}-{Environment.ProcessId:x}";
        var memo = JsonSerializer.Serialize(new { from = e.From, via = e.Via });
        var pending = new Pending(new LedgerRecord(id, LedgerEntryKind.Audit, e.What, e.Who, null, e.Status, memo, now),
            new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Interlocked.Increment(ref _pending) == 1) Interlocked.Exchange(ref _idle, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (refusal)
        {
            if (!_queue.Writer.TryWrite(pending))
            {
                Done();
                long dropped = Interlocked.Increment(ref _dropped);
                long now64 = _time.GetTimestamp();
                long last = Interlocked.Read(ref _lastDropLog);
                if ((last == 0 || _time.GetElapsedTime(last) > TimeSpan.FromMinutes(1)) && Interlocked.CompareExchange(ref _lastDropLog, now64, last) == last)
                    LogDropped(_logger, dropped);
                return false;
            }
        }
        else
        {
            try
            {
                await _queue.Writer.WriteAsync(pending, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                // The silo is stopping and the log drained: the request is answered by a stopping host.
                Done();
                Interlocked.Increment(ref _lost);
                LogLost(_logger, null, pending.Record.EntryId, pending.Record.AssetId, pending.Record.From);
                return false;
            }
        }
        return await pending.Stored.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes once every entry queued so far is in the ledger (tests; a clean stop).</summary>
    public Task FlushedAsync() => Volatile.Read(ref _pending) == 0 ? Task.CompletedTask : _idle.Task;

    private void Done()
    {
        if (Interlocked.Decrement(ref _pending) == 0) _idle.TrySetResult();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ledger = _grains.GetGrain<ILedgerGrain>(LedgerNames.Audit);
        var group = new List<Pending>(MaxGroup);
        // Drains what is queued even while stopping: an acknowledged change keeps its entry.
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            group.Clear();
            while (group.Count < MaxGroup && _queue.Reader.TryRead(out var next)) group.Add(next);
            var records = group.ConvertAll(p => p.Record);
            bool stored = false;
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    // A retried group is idempotent: ids appended by an attempt that failed late are not appended twice.
                    await ledger.AppendManyAsync(records).ConfigureAwait(false);
                    stored = true;
                    break;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException && attempt < 5 && !stoppingToken.IsCancellationRequested)
                {
                    LogRetry(_logger, ex, records[0].EntryId, records.Count, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Interlocked.Add(ref _lost, records.Count);
                    LogGroupLost(_logger, ex, records.Count, records[0].EntryId, records[^1].EntryId);
                    break;
                }
            }
            foreach (var p in group)
            {
                p.Stored.TrySetResult(stored);
                Done();
            }
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit: {Dropped} refused requests (401/403) not recorded since the start: the audit queue was full")]
    private static partial void LogDropped(ILogger logger, long dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit entries from {EntryId} ({Count} in the group): append failed (attempt {Attempt}), retrying")]
    private static partial void LogRetry(ILogger logger, Exception exception, string entryId, int count, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit entry {EntryId} ({What} by {Who}) could not be appended")]
    private static partial void LogLost(ILogger logger, Exception? exception, string entryId, string what, string? who);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit: {Count} entries from {FirstEntryId} to {LastEntryId} could not be appended; their requests were answered")]
    private static partial void LogGroupLost(ILogger logger, Exception exception, int count, string firstEntryId, string lastEntryId);
}
