using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Imv.Persistence.Recording;

/// <summary>A recorder's write side, whatever stores the recording (<see cref="IRecordingStore"/>): twins hand entries to
/// <see cref="Intake"/> (encoded into the bounded queue on their turn); one thread of the writer's own gathers them for
/// <see cref="RecordingOptions.FlushInterval"/> (or until a flush is asked or half the queue is full), commits them in
/// groups of at most <see cref="MaxCommitEntries"/> with the minutes that ended, retries a failed commit every second with
/// the same entries in the same order, applies retention every <see cref="RecordingOptions.RetentionInterval"/>, and
/// completes <see cref="FlushAsync"/> waiters once what was queued before them is committed.</summary>
/// <remarks>Durability (docs/main-job.md): an entry is durable once committed, at most one flush interval after the twin
/// handed it over; a failed commit keeps its entries (the queue fills behind it, then drops, counted and logged) until
/// the storage takes them. <see cref="StopAsync"/>: no more entries accepted, what is queued committed, the open minutes
/// and the store's memory written, then the figures logged.</remarks>
internal sealed class RecordingWriter : IAsyncDisposable
{
    /// <summary>Entries in one transaction at most (at least one chunk): a commit's lock and its log stay bounded.</summary>
    public const int MaxCommitEntries = 16_384;

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly IRecordingStore _store;
    private readonly RecordingOptions _options;
    private readonly string _location;
    private readonly string _threadName;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RecordingQueue _queue;
    private readonly MinuteRollup _minutes;
    // Schemas the twins made that no commit has stored yet (kept across a failed attempt: its entries name them).
    private readonly List<TagSchema> _unstoredSchemas = [];
    private readonly TaskCompletionSource _loopDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _signalLock = new();
    private TaskCompletionSource _committedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _committedEntries, _committedReadings, _commits, _commitTicks, _deleted;
    private long _writerCpuTicks = -1;
    private long _lastRetentionTicks, _latestTicks;
    // _stopped: 0 running, 1 stopping (the loop drains without gathering), 2 disposed (a failing commit gives up).
    private int _started, _stopped, _closed;

    /// <summary>A writer for <paramref name="store"/> (its thread starts with <see cref="Start"/>); <paramref name="location"/>
    /// names the recording in logs and errors, <paramref name="threadName"/> the writer's thread.</summary>
    public RecordingWriter(IRecordingStore store, RecordingOptions options, string location, string threadName, TimeProvider time, ILogger logger)
    {
        _store = store;
        _options = options;
        _location = location;
        _threadName = threadName;
        _time = time;
        _logger = logger;
        _queue = new RecordingQueue(options.QueueCapacity);
        Schemas = new TagSchemas(store.FindSchema);
        _minutes = new MinuteRollup(Schemas);
        Intake = new RecordingIntake(_queue, Schemas, options.QueueCapacity, location, time, logger);
        _lastRetentionTicks = time.GetUtcNow().UtcTicks;
    }

    /// <summary>The twins' side: encodes and queues on the twin's turn, counts and logs what the queue refuses.</summary>
    public RecordingIntake Intake { get; }

    /// <summary>The tag schemas of the recording: made by the twins' entries, or read from the store (the recorder's
    /// reads use the same set).</summary>
    public TagSchemas Schemas { get; }

    /// <summary>Entries handed over and queued.</summary>
    public long Enqueued => Intake.Enqueued;

    /// <summary>Entries committed.</summary>
    public long Committed => Interlocked.Read(ref _committedEntries);

    /// <summary>Readings committed.</summary>
    public long CommittedReadings => Interlocked.Read(ref _committedReadings);

    /// <summary>Entries dropped because the queue was full (or the recorder stopped).</summary>
    public long Dropped => Intake.Dropped;

    /// <summary>Commits so far.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Time the writer spent committing (retries included).</summary>
    public TimeSpan CommitTime => TimeSpan.FromTicks(Interlocked.Read(ref _commitTicks));

    /// <summary>CPU time of the writer's thread so far, as of its last commit (Linux; null elsewhere).</summary>
    public TimeSpan? WriterCpuTime => Interlocked.Read(ref _writerCpuTicks) is var t and >= 0 ? TimeSpan.FromTicks(t) : null;

    /// <summary>Entries deleted by retention.</summary>
    public long DeletedByRetention => Interlocked.Read(ref _deleted);

    /// <summary>Starts the writer's thread (once; later calls do nothing). Entries handed over before wait in the queue.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) return;
        // A thread of its own: a commit is synchronous storage work (seconds of SQLite at full ingest, network round
        // trips for PostgreSQL) that must not hold one of the thread pool's workers (the grains' threads), and the
        // queue's wait is a monitor wait.
        new Thread(WriteLoop) { IsBackground = true, Name = _threadName }.Start();
    }

    /// <summary>Waits until every entry queued before the call is committed; throws when the writer is not started or
    /// stopped on a failure (instead of waiting for ever).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _started) == 0) throw new InvalidOperationException($"Recording {_location}: not started.");
        long target = Enqueued;
        while (Committed < target)
        {
            Task signal;
            lock (_signalLock) signal = _committedSignal.Task;
            _queue.AskFlush();
            if (Committed >= target) break;
            var loop = _loopDone.Task;
            if (loop.IsCompleted) throw new InvalidOperationException($"Recording {_location}: the writer stopped.", loop.Exception);
            // A writer that fails stops signalling: wait on it too, so a flush reports the failure instead of hanging.
            await Task.WhenAny(signal, loop).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void WriteLoop()
    {
        try
        {
            var chunks = new List<RecordingQueue.Chunk>();
            var group = new List<RecordingQueue.Chunk>();
            while (_queue.WaitForBatch(Volatile.Read(ref _stopped) == 0 ? _options.FlushInterval : TimeSpan.Zero))
            {
                _queue.TakeAll(chunks);
                int entries = 0;
                foreach (var chunk in chunks)
                {
                    if (entries > 0 && entries + chunk.Count > MaxCommitEntries)
                    {
                        Commit(group);
                        group.Clear();
                        entries = 0;
                    }
                    group.Add(chunk);
                    entries += chunk.Count;
                }
                if (group.Count > 0) Commit(group);
                group.Clear();
                _queue.Recycle(chunks);
                ApplyRetentionIfDue();
            }
            _loopDone.TrySetResult();
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Recording {Location}: the writer stopped; {Dropped} entries dropped so far", _location, Dropped);
            _loopDone.TrySetException(ex);
        }
    }

    private void Commit(List<RecordingQueue.Chunk> chunks)
    {
        long started = Stopwatch.GetTimestamp();
        long readings = 0, entries = 0;
        // Rolled up once, before the first attempt: a retried commit (even one that failed half-way through its
        // entries) counts no reading into the minutes twice.
        foreach (var chunk in chunks)
        {
            var data = chunk.Data;
            for (int i = 0; i < chunk.Count; i++)
            {
                ref readonly var e = ref chunk.Entries[i];
                if (e.Kind == RecordingCodec.ReadingsKind)
                {
                    readings += e.Readings;
                    _minutes.Add(e.Twin, e.Ticks, new ReadOnlySpan<byte>(data, e.Offset, e.Length));
                }
                if (e.Ticks > _latestTicks) _latestTicks = e.Ticks;
            }
            entries += chunk.Count;
        }
        // After the entries were taken: every schema they name was made before it (and is taken now or was earlier).
        Schemas.TakeNew(_unstoredSchemas);
        // A twin quiet for two minutes: its open minutes end (the quiet time is in no minute).
        _minutes.Close(_latestTicks / TimeSpan.TicksPerMinute - 1);
        while (true)
        {
            try
            {
                _store.Commit(chunks, _unstoredSchemas, _minutes);
                break;
            }
            catch (Exception ex) when (_store.IsTransient(ex))
            {
                // Kept in the queue's order and retried: a full disk, a locked file or a server restarting must not lose
                // what was handed over (the writer's own thread waits: no pool thread is held).
                _logger.LogError(ex, "Recording {Location}: a commit of {Count} entries failed; retrying in 1 s", _location, entries);
                if (Volatile.Read(ref _stopped) == 2) throw;
                Thread.Sleep(RetryDelay);
            }
        }
        _minutes.Written();
        _unstoredSchemas.Clear();
        Interlocked.Add(ref _committedReadings, readings);
        Interlocked.Add(ref _committedEntries, entries);
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _commitTicks, Stopwatch.GetElapsedTime(started).Ticks);
        Interlocked.Exchange(ref _writerCpuTicks, ThreadCpuTicks());
        TaskCompletionSource done;
        lock (_signalLock) { done = _committedSignal; _committedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously); }
        done.TrySetResult();
    }

    /// <summary>The calling thread's CPU time (user and system) in ticks, from /proc/thread-self/stat; -1 where there is none.</summary>
    private static long ThreadCpuTicks() =>
        ThreadStat.TryRead("/proc/thread-self/stat", out _, out long clockTicks) ? clockTicks * (TimeSpan.TicksPerSecond / ThreadStat.ClockTicksPerSecond) : -1;

    private void ApplyRetentionIfDue()
    {
        long now = _time.GetUtcNow().UtcTicks;
        if (now - _lastRetentionTicks < _options.RetentionInterval.Ticks) return;
        _lastRetentionTicks = now;
        _queue.Trim();
        try { ApplyRetention(now); }
        catch (Exception ex) when (_store.IsTransient(ex))
        {
            // The next pass tries again: retention is late, nothing is lost.
            _logger.LogError(ex, "Recording {Location}: retention failed; trying again in {Interval}", _location, _options.RetentionInterval);
        }
    }

    /// <summary>One retention pass now (<see cref="IRecordingStore.DeleteExpired"/>), counted and logged; returns the
    /// entries deleted.</summary>
    public long ApplyRetention(long nowTicks)
    {
        long deleted = _store.DeleteExpired(nowTicks);
        if (deleted > 0)
        {
            Interlocked.Add(ref _deleted, deleted);
            _logger.LogInformation("Recording {Location}: retention deleted {Deleted} entries (older than {MaxAge} or beyond {MaxSizeMb} MiB)",
                _location, deleted, _options.MaxAge, _options.MaxSizeMb);
        }
        return deleted;
    }

    /// <summary>Stops accepting entries, waits for the writer to commit what is queued, then writes the open minutes and
    /// the store's memory (<see cref="IRecordingStore.CloseAsync"/>) and logs the figures. Once; a later call (after one
    /// that was cancelled: the host's shutdown timeout) waits for the same writer and closes if that was not done.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _stopped, 1, 0) == 0) _queue.Complete();
        if (Volatile.Read(ref _started) == 0) return;
        await _loopDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        await CloseOnceAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task CloseOnceAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        // The minutes still open are written as they are (readers merge the rest of a minute written later).
        _minutes.Close();
        await _store.CloseAsync(_minutes, cancellationToken).ConfigureAwait(false);
        _minutes.Written();
        _logger.LogInformation("Recording {Location} closed: {Committed} entries ({Readings} readings) in {Commits} commits, {Dropped} dropped",
            _location, Committed, CommittedReadings, Commits, Dropped);
    }

    /// <summary><see cref="StopAsync"/> without a deadline; then a commit still failing gives up. After a stop that was
    /// cut off, a failing commit gives up at once and this still waits for the writer: the owner closes the storage
    /// after this, never under a commit in progress.</summary>
    public async ValueTask DisposeAsync()
    {
        bool stopCalled = Volatile.Read(ref _stopped) != 0;
        if (stopCalled) Volatile.Write(ref _stopped, 2);
        try { await StopAsync(CancellationToken.None).ConfigureAwait(false); }
        // The writer's failure was logged when it stopped and thrown to the StopAsync caller already.
        catch (Exception) when (stopCalled && _loopDone.Task.IsFaulted) { }
        finally { Volatile.Write(ref _stopped, 2); }
    }
}
