using System.Text.Json;
using System.Threading.Channels;
using Imv.Grains.Interfaces.Assets;

namespace Imv.Silo.Audit;

/// <summary>Writes audit entries to the append-only, hash-chained audit ledger (<see cref="LedgerNames.Audit"/>) in
/// the background, in the order they came. Changes wait for room in the queue (backpressure: a change is not
/// answered before its entry is queued); refused requests (401/403) are dropped when the queue is full, so a flood of
/// bad credentials cannot stall the API: those drops are counted and logged at most once a minute.</summary>
public sealed partial class AuditLog : BackgroundService
{
    /// <summary>Entries waiting to be appended at most.</summary>
    public const int Capacity = 10_000;

    private readonly Channel<LedgerRecord> _queue = Channel.CreateBounded<LedgerRecord>(new BoundedChannelOptions(Capacity) { SingleReader = true });
    private readonly IGrainFactory _grains;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditLog> _logger;
    private long _dropped;
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

    /// <summary>One request worth recording.</summary>
    /// <param name="Who">The avatar (or "(anonymous)").</param>
    /// <param name="What">Method and path.</param>
    /// <param name="Status">The answer's status code.</param>
    /// <param name="From">The client's address.</param>
    /// <param name="Via">How it authenticated (<c>key:&lt;id&gt;</c>, <c>jwt</c>) or why it was refused.</param>
    public sealed record AuditEvent(string Who, string What, int Status, string? From, string? Via);

    /// <summary>Queues an entry. A change waits for room; a refusal is dropped (counted) when the queue is full.</summary>
    public async ValueTask RecordAsync(AuditEvent e, bool refusal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(e);
        var now = _time.GetUtcNow();
        var id = $"{now.UtcTicks:x16}-{Interlocked.Increment(ref _sequence):x8}-{Environment.ProcessId:x}";
        var memo = JsonSerializer.Serialize(new { from = e.From, via = e.Via });
        var record = new LedgerRecord(id, LedgerEntryKind.Audit, e.What, e.Who, null, e.Status, memo, now);
        if (Interlocked.Increment(ref _pending) == 1) Interlocked.Exchange(ref _idle, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (refusal)
        {
            if (_queue.Writer.TryWrite(record)) return;
            Done();
            long dropped = Interlocked.Increment(ref _dropped);
            long now64 = _time.GetTimestamp();
            long last = Interlocked.Read(ref _lastDropLog);
            if ((last == 0 || _time.GetElapsedTime(last) > TimeSpan.FromMinutes(1)) && Interlocked.CompareExchange(ref _lastDropLog, now64, last) == last)
                LogDropped(_logger, dropped);
            return;
        }
        try
        {
            await _queue.Writer.WriteAsync(record, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // The silo is stopping and the log drained: the request is answered by a stopping host.
            Done();
            LogLost(_logger, null, record.EntryId, record.AssetId, record.From);
        }
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
        // Drains what is queued even while stopping: an acknowledged change keeps its entry.
        await foreach (var record in _queue.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    await ledger.AppendAsync(record).ConfigureAwait(false);
                    break;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException && attempt < 5 && !stoppingToken.IsCancellationRequested)
                {
                    LogRetry(_logger, ex, record.EntryId, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogLost(_logger, ex, record.EntryId, record.AssetId, record.From);
                    break;
                }
            }
            Done();
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit entry {EntryId}: append failed (attempt {Attempt}), retrying")]
    private static partial void LogRetry(ILogger logger, Exception exception, string entryId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit entry {EntryId} ({What} by {Who}) could not be appended")]
    private static partial void LogLost(ILogger logger, Exception? exception, string entryId, string what, string? who);
}
