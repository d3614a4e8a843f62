using System.Diagnostics;
using System.Threading.Channels;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Recording;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>The plant recording on a SQLite file of its own: twins hand accepted readings and command transitions
/// to a bounded queue (a copy, no I/O on the twin's turn); one writer thread gathers them for
/// <see cref="RecordingOptions.FlushInterval"/> and appends them in one transaction (group commit, WAL,
/// synchronous=NORMAL). Order per twin is the order the twin handed them over. A full queue drops new entries,
/// counted in <see cref="Dropped"/> and logged at most every 10 s: never silently.</summary>
/// <remarks>Durable means: once committed (at most one flush interval after the twin accepted it) an entry survives
/// a process crash; an OS crash may lose the last commits (synchronous=NORMAL, like the write-behind journal's
/// default). The recording is not on the twin's acknowledgement path: the 15 % ingest budget rules out a disk
/// commit per reading, and a lost tail of the recording never loses a twin's state.</remarks>
public sealed class SqliteTwinRecorder : ITwinRecorder, IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan DropLogInterval = TimeSpan.FromSeconds(10);
    private const int MaxCommitEntries = 16_384;

    private readonly RecordingOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Channel<Pending> _queue;
    private readonly SqliteConnection _writer;
    private readonly string _connectionString;
    private readonly Task _loop;
    private readonly Lock _signalLock = new();
    private TaskCompletionSource _committedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _flushNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _enqueued, _committedEntries, _committedReadings, _dropped, _droppedUnlogged, _commits, _commitTicks, _lastDropLogTicks, _deleted;
    private long _lastRetentionTicks;
    private readonly MinuteRollup _minutes = new();
    private long _latestTicks;
    private int _stopped;

    /// <summary>Opens (creating when missing) the recording at <see cref="RecordingOptions.Path"/> and starts its writer.</summary>
    public SqliteTwinRecorder(RecordingOptions options, ILogger<SqliteTwinRecorder> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrWhiteSpace(options.Path)) throw new ArgumentException("The recording needs a file (Recording:Path).", nameof(options));
        var problems = options.Problems();
        if (problems.Count > 0) throw new ArgumentException($"Invalid recording settings: {string.Join("; ", problems)}.", nameof(options));
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        FilePath = System.IO.Path.GetFullPath(options.Path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = FilePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false, DefaultTimeout = 30 }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute(_writer, """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            CREATE TABLE IF NOT EXISTS recording (
                position INTEGER PRIMARY KEY,
                twin TEXT NOT NULL,
                at INTEGER NOT NULL,
                kind INTEGER NOT NULL,
                data BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS recording_twin_at ON recording (twin, at);
            CREATE TABLE IF NOT EXISTS recording_minutes (
                twin TEXT NOT NULL,
                tag TEXT NOT NULL,
                minute INTEGER NOT NULL,
                count INTEGER NOT NULL,
                numbers INTEGER NOT NULL,
                min REAL NOT NULL,
                max REAL NOT NULL,
                sum REAL NOT NULL,
                last_ticks INTEGER NOT NULL,
                last_value BLOB NOT NULL,
                PRIMARY KEY (twin, tag, minute)) WITHOUT ROWID;
            """);
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,   // TryWrite then answers false when full (DropWrite would drop silently)
        });
        _lastRetentionTicks = _time.GetUtcNow().UtcTicks;
        _loop = Task.Run(WriteLoopAsync);
    }

    /// <summary>The recording's file.</summary>
    public string FilePath { get; }

    /// <summary>For measurements (bench ingest with and without recording in one run): while true, twins' entries
    /// are not recorded at all (nothing is queued, nothing counted as dropped).</summary>
    public bool Paused { get; set; }

    /// <summary>Entries handed over and queued.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Entries committed to the file.</summary>
    public long Committed => Interlocked.Read(ref _committedEntries);

    /// <summary>Readings committed to the file.</summary>
    public long CommittedReadings => Interlocked.Read(ref _committedReadings);

    /// <summary>Entries dropped because the queue was full (or the recorder stopped).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Group commits so far.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Time the writer spent encoding and committing.</summary>
    public TimeSpan CommitTime => TimeSpan.FromTicks(Interlocked.Read(ref _commitTicks));

    /// <summary>Entries deleted by retention.</summary>
    public long DeletedByRetention => Interlocked.Read(ref _deleted);

    /// <inheritdoc />
    public void RecordReadings(string twinId, DateTimeOffset receivedAt, ReadOnlySpan<TagUpdate> updates, ReadOnlySpan<bool> accepted)
    {
        if (Paused || updates.IsEmpty) return;
        TagUpdate[] copy;
        if (accepted.IsEmpty) copy = updates.ToArray();
        else
        {
            int n = 0;
            for (int i = 0; i < updates.Length; i++) if (accepted[i]) n++;
            if (n == 0) return;
            copy = new TagUpdate[n];
            for (int i = 0, j = 0; i < updates.Length; i++) if (accepted[i]) copy[j++] = updates[i];
        }
        Enqueue(new Pending(twinId, receivedAt.UtcTicks, copy, null));
    }

    /// <inheritdoc />
    public void RecordCommand(string twinId, CommandRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Paused) return;
        var at = record.Transitions.Count > 0 ? record.Transitions[^1].At : _time.GetUtcNow();
        Enqueue(new Pending(twinId, at.UtcTicks, null, record));
    }

    private void Enqueue(Pending entry)
    {
        if (_queue.Writer.TryWrite(entry)) { Interlocked.Increment(ref _enqueued); return; }
        Interlocked.Increment(ref _dropped);
        Interlocked.Increment(ref _droppedUnlogged);
        long now = _time.GetUtcNow().UtcTicks, last = Interlocked.Read(ref _lastDropLogTicks);
        if (now - last < DropLogInterval.Ticks || Interlocked.CompareExchange(ref _lastDropLogTicks, now, last) != last) return;
        _logger.LogWarning("Recording {File}: dropped {Dropped} entries (twin {TwinId} the latest) because the queue of {Capacity} was full or the recorder stopped; {Total} dropped in all",
            FilePath, Interlocked.Exchange(ref _droppedUnlogged, 0), entry.TwinId, _options.QueueCapacity, Dropped);
    }

    /// <summary>Waits until every entry handed over before the call is committed (or dropped).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        long target = Enqueued;
        while (Committed < target)
        {
            Task signal;
            lock (_signalLock) { signal = _committedSignal.Task; _flushNow.TrySetResult(); }
            if (Committed >= target) break;
            if (_loop.IsCompleted) throw new InvalidOperationException($"Recording {FilePath}: the writer stopped.", _loop.Exception);
            // A writer that fails stops signalling: wait on it too, so a flush reports the failure instead of hanging.
            await Task.WhenAny(signal, _loop).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(1024);
        using var insert = _writer.CreateCommand();
        insert.CommandText = "INSERT INTO recording (twin, at, kind, data) VALUES ($twin, $at, $kind, $data)";
        var pTwin = insert.Parameters.Add("$twin", SqliteType.Text);
        var pAt = insert.Parameters.Add("$at", SqliteType.Integer);
        var pKind = insert.Parameters.Add("$kind", SqliteType.Integer);
        var pData = insert.Parameters.Add("$data", SqliteType.Blob);
        using var buffer = new MemoryStream();
        using var w = RecordingCodec.Writer(buffer);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Gather for a flush interval (group commit) unless a flush is asked for or the queue fills.
            if (_options.FlushInterval > TimeSpan.Zero && reader.Count < _options.QueueCapacity / 2 && Volatile.Read(ref _stopped) == 0)
            {
                Task flush;
                lock (_signalLock) flush = _flushNow.Task;
                await Task.WhenAny(Task.Delay(_options.FlushInterval, _time), flush).ConfigureAwait(false);
            }
            lock (_signalLock) if (_flushNow.Task.IsCompleted) _flushNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
            while (reader.TryRead(out var p))
            {
                batch.Add(p);
                if (batch.Count >= MaxCommitEntries)
                {
                    Commit(batch, insert, pTwin, pAt, pKind, pData, buffer, w);
                    batch.Clear();
                }
            }
            if (batch.Count > 0) Commit(batch, insert, pTwin, pAt, pKind, pData, buffer, w);
            batch.Clear();
            ApplyRetentionIfDue();
        }
    }

    private void Commit(List<Pending> batch, SqliteCommand insert, SqliteParameter pTwin, SqliteParameter pAt, SqliteParameter pKind, SqliteParameter pData, MemoryStream buffer, BinaryWriter w)
    {
        long started = Stopwatch.GetTimestamp();
        long readings = 0;
        bool rolledUp = false;   // a retried commit must not count its readings into the minutes twice
        while (true)
        {
            try
            {
                using var tx = _writer.BeginTransaction();
                insert.Transaction = tx;
                foreach (var p in batch)
                {
                    buffer.SetLength(0);
                    if (p.Readings is { } r)
                    {
                        RecordingCodec.WriteReadings(w, r);
                        readings += r.Length;
                        if (!rolledUp) _minutes.Add(p.TwinId, p.Ticks, r);
                    }
                    else RecordingCodec.WriteCommand(w, p.Command!);
                    if (p.Ticks > _latestTicks) _latestTicks = p.Ticks;
                    w.Flush();
                    pTwin.Value = p.TwinId;
                    pAt.Value = p.Ticks;
                    pKind.Value = p.Readings is null ? RecordingCodec.CommandKind : RecordingCodec.ReadingsKind;
                    pData.Value = buffer.ToArray();
                    insert.ExecuteNonQuery();
                }
                rolledUp = true;
                // A twin quiet for two minutes: its open minutes end (the quiet time is in no minute).
                _minutes.Close(_latestTicks / TimeSpan.TicksPerMinute - 1);
                _minutes.Write(_writer, tx);
                tx.Commit();
                _minutes.Written();
                break;
            }
            catch (SqliteException ex)
            {
                // Kept in the queue's order and retried: a full disk or a locked file must not lose what was handed over.
                _logger.LogError(ex, "Recording {File}: a commit of {Count} entries failed; retrying in 1 s", FilePath, batch.Count);
                readings = 0;
                Thread.Sleep(1000);
                if (Volatile.Read(ref _stopped) == 2) throw;
            }
        }
        Interlocked.Add(ref _committedReadings, readings);
        Interlocked.Add(ref _committedEntries, batch.Count);
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _commitTicks, Stopwatch.GetElapsedTime(started).Ticks);
        TaskCompletionSource done;
        lock (_signalLock) { done = _committedSignal; _committedSignal = new(TaskCreationOptions.RunContinuationsAsynchronously); }
        done.TrySetResult();
    }

    private void ApplyRetentionIfDue()
    {
        long now = _time.GetUtcNow().UtcTicks;
        if (now - _lastRetentionTicks < _options.RetentionInterval.Ticks) return;
        _lastRetentionTicks = now;
        ApplyRetention(now);
    }

    /// <summary>Deletes entries older than <see cref="RecordingOptions.MaxAge"/>, then the oldest tenth while the
    /// file holds more than <see cref="RecordingOptions.MaxSizeMb"/> (freed pages are reused: the file stops growing).</summary>
    internal void ApplyRetention(long nowTicks)
    {
        long cutoff = nowTicks - _options.MaxAge.Ticks;
        int deleted = ExecuteCount(_writer, "DELETE FROM recording WHERE position < coalesce((SELECT min(position) FROM recording WHERE at >= $cutoff), (SELECT max(position) + 1 FROM recording))", ("$cutoff", cutoff));
        ExecuteCount(_writer, "DELETE FROM recording_minutes WHERE minute < $minute", ("$minute", cutoff / TimeSpan.TicksPerMinute));
        long maxBytes = _options.MaxSizeMb * 1024 * 1024;
        for (int round = 0; round < 10 && UsedBytes() > maxBytes; round++)
            deleted += ExecuteCount(_writer, "DELETE FROM recording WHERE position < (SELECT min(position) + (max(position) - min(position)) / 10 + 1 FROM recording)");
        if (deleted > 0)
        {
            Interlocked.Add(ref _deleted, deleted);
            _logger.LogInformation("Recording {File}: retention deleted {Deleted} entries (older than {MaxAge} or beyond {MaxSizeMb} MiB)", FilePath, deleted, _options.MaxAge, _options.MaxSizeMb);
        }
    }

    private long UsedBytes()
    {
        using var c = _writer.CreateCommand();
        c.CommandText = "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()), (SELECT page_size FROM pragma_page_size())";
        using var r = c.ExecuteReader();
        r.Read();
        return r.GetInt64(0) * r.GetInt64(1);
    }

    /// <summary>The first and last instants recorded for <paramref name="twinId"/>; null when nothing is.</summary>
    public (DateTimeOffset First, DateTimeOffset Last)? Range(string twinId)
    {
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT min(at), max(at) FROM recording WHERE twin = $twin";
        cmd.Parameters.AddWithValue("$twin", twinId);
        using var r = cmd.ExecuteReader();
        if (!r.Read() || r.IsDBNull(0)) return null;
        return (new DateTimeOffset(r.GetInt64(0), TimeSpan.Zero), new DateTimeOffset(r.GetInt64(1), TimeSpan.Zero));
    }

    /// <summary>The entries of <paramref name="twinId"/> from <paramref name="from"/> to <paramref name="to"/>
    /// (inclusive), in recorded order; newest first when <paramref name="newestFirst"/>. Throws
    /// <see cref="InvalidDataException"/> naming the file and position of a damaged entry.</summary>
    public IEnumerable<RecordedEntry> Read(string twinId, DateTimeOffset from, DateTimeOffset to, bool newestFirst = false)
    {
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT position, at, kind, data FROM recording WHERE twin = $twin AND at >= $from AND at <= $to ORDER BY twin, at "
            + (newestFirst ? "DESC, position DESC" : ", position");
        cmd.Parameters.AddWithValue("$twin", twinId);
        cmd.Parameters.AddWithValue("$from", from.UtcTicks);
        cmd.Parameters.AddWithValue("$to", to.UtcTicks);
        using var r = cmd.ExecuteReader();
        while (r.Read()) yield return RecordingCodec.Decode(FilePath, twinId, r.GetInt64(0), r.GetInt64(1), r.GetInt32(2), (byte[])r.GetValue(3));
    }

    /// <summary>The readings of one tag of <paramref name="twinId"/> accepted from <paramref name="from"/> to
    /// <paramref name="to"/> (inclusive), in recorded order, as (source time, value): only that tag is decoded.
    /// Throws <see cref="InvalidDataException"/> naming the file and position of a damaged entry.</summary>
    public List<(long SourceTicks, TagValue Value)> ReadTag(string twinId, string tag, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var name = System.Text.Encoding.UTF8.GetBytes(tag);
        var into = new List<(long, TagValue)>();
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT position, data FROM recording WHERE twin = $twin AND at >= $from AND at <= $to AND kind = $kind ORDER BY twin, at, position";
        cmd.Parameters.AddWithValue("$twin", twinId);
        cmd.Parameters.AddWithValue("$from", from.UtcTicks);
        cmd.Parameters.AddWithValue("$to", to.UtcTicks);
        cmd.Parameters.AddWithValue("$kind", RecordingCodec.ReadingsKind);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            try { RecordingCodec.ReadTag((byte[])r.GetValue(1), name, into); }
            catch (Exception ex) when (ex is InvalidDataException or ArgumentOutOfRangeException or OverflowException or EndOfStreamException)
            {
                throw new InvalidDataException($"Recording {FilePath}: the entry at position {r.GetInt64(0)} (twin '{twinId}') is damaged: {ex.Message}", ex);
            }
        }
        return into;
    }

    /// <summary>The minutes of one tag of <paramref name="twinId"/> starting in [<paramref name="from"/>, <paramref name="to"/>),
    /// in order (only minutes that ended: the current one is in the entries only).</summary>
    public List<RecordedMinute> ReadMinutes(string twinId, string tag, DateTimeOffset from, DateTimeOffset to)
    {
        var list = new List<RecordedMinute>();
        using var c = OpenReader();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT minute, count, numbers, min, max, sum, last_ticks, last_value FROM recording_minutes WHERE twin = $twin AND tag = $tag AND minute >= $from AND minute < $to ORDER BY minute";
        cmd.Parameters.AddWithValue("$twin", twinId);
        cmd.Parameters.AddWithValue("$tag", tag);
        cmd.Parameters.AddWithValue("$from", (from.UtcTicks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute);
        cmd.Parameters.AddWithValue("$to", to.UtcTicks / TimeSpan.TicksPerMinute);
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            TagValue last;
            try { last = RecordingCodec.ReadValueOnly((byte[])r.GetValue(7)); }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
            {
                throw new InvalidDataException($"Recording {FilePath}: the minute {r.GetInt64(0)} of tag '{tag}' of twin '{twinId}' is damaged: {ex.Message}", ex);
            }
            list.Add(new RecordedMinute(r.GetInt64(0) * TimeSpan.TicksPerMinute, r.GetInt64(1), r.GetInt64(2), r.GetDouble(3), r.GetDouble(4), r.GetDouble(5), r.GetInt64(6), last));
        }
        return list;
    }

    private SqliteConnection OpenReader()
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder(_connectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString());
        c.Open();
        return c;
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _stopped, 1, 0) != 0) return;
        _queue.Writer.TryComplete();
        lock (_signalLock) _flushNow.TrySetResult();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        // The minutes still open are written as they are (a restart merges the rest of a minute into its row).
        _minutes.Close();
        using (var tx = _writer.BeginTransaction())
        {
            _minutes.Write(_writer, tx);
            tx.Commit();
            _minutes.Written();
        }
        _logger.LogInformation("Recording {File} closed: {Committed} entries ({Readings} readings) in {Commits} commits, {Dropped} dropped",
            FilePath, Committed, CommittedReadings, Commits, Dropped);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(CancellationToken.None).ConfigureAwait(false); }
        finally
        {
            Volatile.Write(ref _stopped, 2);
            _writer.Dispose();
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var c = connection.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    private static int ExecuteCount(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var c = connection.CreateCommand();
        c.CommandText = sql;
        foreach (var (name, value) in parameters) c.Parameters.AddWithValue(name, value);
        return c.ExecuteNonQuery();
    }

    private sealed record Pending(string TwinId, long Ticks, TagUpdate[]? Readings, CommandRecord? Command);
}
