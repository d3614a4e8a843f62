using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Recording;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>The plant recording on a SQLite file of its own: twins hand accepted readings and command transitions
/// to a bounded queue (encoded on the twin's turn into pooled chunks, no I/O and no allocation per entry); one writer
/// thread of its own gathers them for <see cref="RecordingOptions.FlushInterval"/> and appends them in one transaction
/// (group commit, WAL, synchronous=NORMAL). Order per twin is the order the twin handed them over. A full queue drops
/// new entries, counted in <see cref="Dropped"/> and logged at most every 10 s: never silently. The write machinery is
/// the shared <see cref="RecordingWriter"/>; this class is its store (rows, spans, minutes, retention) and the reads.</summary>
/// <remarks>Durable means: once committed (at most one flush interval after the twin accepted it) an entry survives
/// a process crash; an OS crash may lose the last commits (synchronous=NORMAL, like the write-behind journal's
/// default). The recording is not on the twin's acknowledgement path: the 15 % ingest budget rules out a disk
/// commit per reading, and a lost tail of the recording never loses a twin's state.</remarks>
public sealed class SqliteTwinRecorder : ITwinRecorder, IRecordingReader, IHostedService, IAsyncDisposable, IRecordingStore
{
    private readonly RecordingOptions _options;
    private readonly RecordingWriter _recording;
    private readonly RecordingIntake _intake;
    private readonly SqliteConnection _writer;
    private readonly string _connectionString;
    private readonly TwinSpans _spans = new();
    private TwinSpans.Entry[] _committing = new TwinSpans.Entry[1024];
    private readonly List<TwinSpans.Span> _writing = [];
    private long _nextPosition = 1;
    private RawStatement? _insert, _spanInsert, _stateUpdate;

    /// <summary>Opens (creating when missing) the recording at <see cref="RecordingOptions.Path"/> and starts its writer.</summary>
    public SqliteTwinRecorder(RecordingOptions options, ILogger<SqliteTwinRecorder> logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrWhiteSpace(options.Path)) throw new ArgumentException("The recording needs a file (Recording:Path).", nameof(options));
        var problems = options.Problems();
        if (problems.Count > 0) throw new ArgumentException($"Invalid recording settings: {string.Join("; ", problems)}.", nameof(options));
        _options = options;
        FilePath = System.IO.Path.GetFullPath(options.Path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = FilePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false, DefaultTimeout = 30 }.ToString();
        _writer = new SqliteConnection(_connectionString);
        _writer.Open();
        Execute(_writer, """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=NORMAL;
            PRAGMA cache_size=-32768;   -- 32 MiB (default 2): the twin index's pages stay in memory between commits
            CREATE TABLE IF NOT EXISTS recording (
                position INTEGER PRIMARY KEY,
                twin TEXT NOT NULL,
                at INTEGER NOT NULL,
                kind INTEGER NOT NULL,
                data BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS recording_spans (
                twin TEXT NOT NULL,
                min_at INTEGER NOT NULL,
                max_at INTEGER NOT NULL,
                first_position INTEGER NOT NULL,
                last_position INTEGER NOT NULL,
                count INTEGER NOT NULL,
                data BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS recording_spans_twin ON recording_spans (twin, min_at);
            CREATE TABLE IF NOT EXISTS recording_state (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                unindexed_from INTEGER NOT NULL);
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
            CREATE TABLE IF NOT EXISTS recording_twin_minutes (
                twin TEXT NOT NULL,
                minute INTEGER NOT NULL,
                data BLOB NOT NULL);
            CREATE INDEX IF NOT EXISTS recording_twin_minutes_twin ON recording_twin_minutes (twin, minute);
            """);
        OpenIndex();
        _recording = new RecordingWriter(this, options, FilePath, "imv-recording-writer", time ?? TimeProvider.System, logger);
        _intake = _recording.Intake;
        _recording.Start();
    }

    /// <summary>The recording's file.</summary>
    public string FilePath { get; }

    /// <inheritdoc />
    public string Location => FilePath;

    /// <inheritdoc />
    public IReplayRecording OpenForReplay() => new RecordingFile(FilePath);

    /// <summary>For measurements (bench ingest with and without recording in one run): while true, twins' entries
    /// are not recorded at all (nothing is queued, nothing counted as dropped).</summary>
    public bool Paused { get => _intake.Paused; set => _intake.Paused = value; }

    /// <summary>Entries handed over and queued.</summary>
    public long Enqueued => _recording.Enqueued;

    /// <summary>Entries committed to the file.</summary>
    public long Committed => _recording.Committed;

    /// <summary>Readings committed to the file.</summary>
    public long CommittedReadings => _recording.CommittedReadings;

    /// <summary>Entries dropped because the queue was full (or the recorder stopped).</summary>
    public long Dropped => _recording.Dropped;

    /// <summary>Group commits so far.</summary>
    public long Commits => _recording.Commits;

    /// <summary>Time the writer spent encoding and committing.</summary>
    public TimeSpan CommitTime => _recording.CommitTime;

    /// <summary>CPU time of the writer's thread so far (Linux; null elsewhere): what the recording costs the machine
    /// beyond the twins' turns, however busy the machine is.</summary>
    public TimeSpan? WriterCpuTime => _recording.WriterCpuTime;

    /// <summary>Entries deleted by retention.</summary>
    public long DeletedByRetention => _recording.DeletedByRetention;

    /// <inheritdoc />
    public void RecordReadings(string twinId, DateTimeOffset receivedAt, ReadOnlySpan<TagUpdate> updates, ReadOnlySpan<bool> accepted) =>
        _intake.RecordReadings(twinId, receivedAt, updates, accepted);

    /// <inheritdoc />
    public void RecordCommand(string twinId, CommandRecord record) => _intake.RecordCommand(twinId, record);

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken = default) => _recording.FlushAsync(cancellationToken);

    /// <inheritdoc />
    void IRecordingStore.Commit(List<RecordingQueue.Chunk> chunks, MinuteRollup minutes)
    {
        long position = _nextPosition;
        int indexed = 0;
        try
        {
            _insert ??= RawStatement.RecordingInsert(_writer);
            using var tx = _writer.BeginTransaction();   // BEGIN IMMEDIATE: waits (busy timeout) for another writer's lock
            foreach (var chunk in chunks)
            {
                var data = chunk.Data;
                for (int i = 0; i < chunk.Count; i++)
                {
                    ref readonly var e = ref chunk.Entries[i];
                    // Positions are the writer's (not SQLite's next rowid): the spans hold them before the rows commit.
                    _insert.Insert(position, e.TwinId, e.Ticks, e.Kind, new ReadOnlySpan<byte>(data, e.Offset, e.Length));
                    if (indexed == _committing.Length) Array.Resize(ref _committing, indexed * 2);
                    _committing[indexed++] = new TwinSpans.Entry(e.TwinId, position, e.Ticks, e.Kind);
                    position++;
                }
            }
            WriteMinutes(minutes);
            // The spans closed since the last commit are written with it; the entries of this one are added to the
            // open spans once committed (a reader never finds a position whose row it cannot see yet).
            WriteSpans();
            tx.Commit();
        }
        catch (SqliteException)
        {
            // The writer retries with the same entries: the spans taken for this attempt are taken again then.
            _writing.Clear();
            throw;
        }
        _spans.Written(_writing);
        _nextPosition = position;
        _spans.Add(_committing.AsSpan(0, indexed));
    }

    /// <inheritdoc />
    bool IRecordingStore.IsTransient(Exception exception) => exception is SqliteException;

    /// <summary>Inside the writer's transaction (same connection): the minutes finished so far (one row per twin and minute).</summary>
    private void WriteMinutes(MinuteRollup minutes)
    {
        if (minutes.Pending == 0) return;
        using var c = new RawStatement(_writer, "INSERT INTO recording_twin_minutes (twin, minute, data) VALUES (?1, ?2, ?3)");
        minutes.Write((twin, minute, data) =>
        {
            c.Text(1, twin);
            c.Int64(2, minute);
            c.Blob(3, data);
            c.Run();
        });
    }

    /// <summary>Inside the writer's transaction: the spans closed so far (taken into <see cref="_writing"/>, left in memory
    /// until the commit), and from which position a restart must index the rows again.</summary>
    private void WriteSpans()
    {
        _spans.TakeClosing(_writing);
        _spanInsert ??= new RawStatement(_writer, "INSERT INTO recording_spans (twin, min_at, max_at, first_position, last_position, count, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        foreach (var span in _writing)
        {
            _spanInsert.Text(1, span.Twin);
            _spanInsert.Int64(2, span.MinTicks);
            _spanInsert.Int64(3, span.MaxTicks);
            _spanInsert.Int64(4, span.FirstPosition);
            _spanInsert.Int64(5, span.LastPosition);
            _spanInsert.Int64(6, span.Count);
            _spanInsert.Blob(7, span.Data);
            _spanInsert.Run();
        }
        _stateUpdate ??= new RawStatement(_writer, "INSERT OR REPLACE INTO recording_state (id, unindexed_from) VALUES (1, ?1)");
        _stateUpdate.Int64(1, _spans.UnindexedFrom(_nextPosition, _writing.Count));
        _stateUpdate.Run();
    }

    /// <summary>On open: a recording written before spans (rows indexed by (twin, at)) gets its spans once and loses that
    /// index; the rows a crash left without spans (from <c>recording_state.unindexed_from</c>) get theirs in memory again.</summary>
    private void OpenIndex()
    {
        long unindexedFrom;
        using (var cmd = _writer.CreateCommand())
        {
            cmd.CommandText = """
                SELECT coalesce((SELECT max(position) FROM recording), 0), coalesce((SELECT max(last_position) FROM recording_spans), 0),
                       (SELECT unindexed_from FROM recording_state WHERE id = 1),
                       EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'recording_twin_at')
                """;
            using var r = cmd.ExecuteReader();
            r.Read();
            _nextPosition = Math.Max(r.GetInt64(0), r.GetInt64(1)) + 1;
            bool before = r.GetInt64(3) != 0;
            // Written before spans: every row; else from where the last run's spans ended (a new file: nothing).
            unindexedFrom = before ? 0 : r.IsDBNull(2) ? _nextPosition : r.GetInt64(2);
        }
        var entries = new List<TwinSpans.Entry>();
        using (var cmd = _writer.CreateCommand())
        {
            cmd.CommandText = "SELECT position, twin, at, kind FROM recording WHERE position >= $from ORDER BY position";
            cmd.Parameters.AddWithValue("$from", unindexedFrom);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                entries.Add(new TwinSpans.Entry(r.GetString(1), r.GetInt64(0), r.GetInt64(2), r.GetInt32(3)));
                if (entries.Count == 65_536) { _spans.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(entries)); entries.Clear(); }
            }
        }
        _spans.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(entries));
        if (unindexedFrom == 0)
        {
            // The rows of an older file are all indexed now, and their (twin, at) index goes (no insert maintains it).
            _spans.CloseAll();
            using var tx = _writer.BeginTransaction();
            WriteSpans();
            using (var drop = _writer.CreateCommand())
            {
                drop.Transaction = tx;
                drop.CommandText = "DROP INDEX IF EXISTS recording_twin_at";
                drop.ExecuteNonQuery();
            }
            tx.Commit();
            _spans.Written(_writing);
        }
    }

    /// <summary>Deletes entries older than <see cref="RecordingOptions.MaxAge"/>, then the oldest tenth while the
    /// file holds more than <see cref="RecordingOptions.MaxSizeMb"/> (freed pages are reused: the file stops growing).</summary>
    long IRecordingStore.DeleteExpired(long nowTicks)
    {
        long cutoff = nowTicks - _options.MaxAge.Ticks;
        int deleted = ExecuteCount(_writer, "DELETE FROM recording WHERE position < coalesce((SELECT min(position) FROM recording WHERE at >= $cutoff), (SELECT max(position) + 1 FROM recording))", ("$cutoff", cutoff));
        ExecuteCount(_writer, "DELETE FROM recording_minutes WHERE minute < $minute", ("$minute", cutoff / TimeSpan.TicksPerMinute));
        // Rows are appended about in minute order (a quiet twin's minute a little later): the prefix before the first
        // row of a kept minute goes now, a late row of an old minute at a later pass.
        ExecuteCount(_writer, "DELETE FROM recording_twin_minutes WHERE rowid < (SELECT coalesce(min(rowid), (SELECT max(rowid) + 1 FROM recording_twin_minutes)) FROM recording_twin_minutes WHERE minute >= $minute) AND minute < $minute",
            ("$minute", cutoff / TimeSpan.TicksPerMinute));
        long maxBytes = _options.MaxSizeMb * 1024 * 1024;
        for (int round = 0; round < 10 && UsedBytes() > maxBytes; round++)
            deleted += ExecuteCount(_writer, "DELETE FROM recording WHERE position < (SELECT min(position) + (max(position) - min(position)) / 10 + 1 FROM recording)");
        // Spans whose entries are all deleted go (in close order, about time order: the prefix; a span still holding
        // some kept entry stays, its deleted positions are skipped by readers).
        ExecuteCount(_writer, """
            DELETE FROM recording_spans WHERE rowid < coalesce(
                (SELECT rowid FROM recording_spans WHERE last_position >= coalesce((SELECT min(position) FROM recording), $next) ORDER BY rowid LIMIT 1),
                (SELECT max(rowid) + 1 FROM recording_spans))
            AND last_position < coalesce((SELECT min(position) FROM recording), $next)
            """, ("$next", _nextPosition));
        return deleted;
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
        var memory = _spans.Copy(twinId);
        using var c = OpenReader();
        return RecordingIndex.Range(c, twinId, memory) is { } r
            ? (new DateTimeOffset(r.First, TimeSpan.Zero), new DateTimeOffset(r.Last, TimeSpan.Zero))
            : null;
    }

    /// <summary>The entries of <paramref name="twinId"/> from <paramref name="from"/> to <paramref name="to"/>
    /// (inclusive), in recorded order; newest first when <paramref name="newestFirst"/>. Throws
    /// <see cref="InvalidDataException"/> naming the file and position of a damaged entry.</summary>
    public IEnumerable<RecordedEntry> Read(string twinId, DateTimeOffset from, DateTimeOffset to, bool newestFirst = false)
    {
        // The spans in memory first, then the table's: a span written meanwhile is in both (dropped once), none in neither.
        var memory = _spans.Copy(twinId);
        using var c = OpenReader();
        using var rows = new RecordingIndex.Rows(c);
        var entries = newestFirst
            ? RecordingIndex.Newest(OpenReader, FilePath, twinId, from.UtcTicks, to.UtcTicks, memory)
            : RecordingIndex.Entries(c, FilePath, twinId, from.UtcTicks, to.UtcTicks, memory);
        foreach (var e in entries)
            if (rows.TryRead(e.Position, out long at, out int kind, out var data))
                yield return RecordingCodec.Decode(FilePath, twinId, e.Position, at, kind, data);
    }

    /// <summary>The readings of one tag of <paramref name="twinId"/> accepted from <paramref name="from"/> to
    /// <paramref name="to"/> (inclusive), in recorded order, as (source time, value): only that tag is decoded.
    /// Throws <see cref="InvalidDataException"/> naming the file and position of a damaged entry.</summary>
    public List<(long SourceTicks, TagValue Value)> ReadTag(string twinId, string tag, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var name = System.Text.Encoding.UTF8.GetBytes(tag);
        var into = new List<(long, TagValue)>();
        var memory = _spans.Copy(twinId);
        using var c = OpenReader();
        using var rows = new RecordingIndex.Rows(c);
        foreach (var e in RecordingIndex.Entries(c, FilePath, twinId, from.UtcTicks, to.UtcTicks, memory))
        {
            if (e.Kind != RecordingCodec.ReadingsKind || !rows.TryRead(e.Position, out long at, out _, out var data)) continue;
            try { RecordingCodec.ReadTag(data, at, name, into); }
            catch (Exception ex) when (ex is InvalidDataException or ArgumentOutOfRangeException or OverflowException or EndOfStreamException)
            {
                throw new InvalidDataException($"Recording {FilePath}: the entry at position {e.Position} (twin '{twinId}') is damaged: {ex.Message}", ex);
            }
        }
        return into;
    }

    /// <summary>The minutes of one tag of <paramref name="twinId"/> starting in [<paramref name="from"/>, <paramref name="to"/>),
    /// in order (only minutes that ended: the current one is in the entries only). A minute written in parts (a
    /// restart mid-minute; a tag whose minute ended apart from the twin's others) is merged. Throws
    /// <see cref="InvalidDataException"/> naming the file and row of a damaged minute.</summary>
    public List<RecordedMinute> ReadMinutes(string twinId, string tag, DateTimeOffset from, DateTimeOffset to)
    {
        long fromMinute = (from.UtcTicks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute, toMinute = to.UtcTicks / TimeSpan.TicksPerMinute;
        var minutes = new SortedDictionary<long, RecordedMinute>();
        using var c = OpenReader();
        using (var cmd = c.CreateCommand())
        {
            // One row per twin and minute, every tag inside (MinuteRollup); written since this layout.
            cmd.CommandText = "SELECT rowid, minute, data FROM recording_twin_minutes WHERE twin = $twin AND minute >= $from AND minute < $to ORDER BY minute, rowid";
            cmd.Parameters.AddWithValue("$twin", twinId);
            cmd.Parameters.AddWithValue("$from", fromMinute);
            cmd.Parameters.AddWithValue("$to", toMinute);
            var name = System.Text.Encoding.UTF8.GetBytes(tag);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                RecordedMinute? part;
                try { part = MinuteRollup.ReadTag((byte[])r.GetValue(2), name, r.GetInt64(1)); }
                catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ArgumentOutOfRangeException or OverflowException)
                {
                    throw new InvalidDataException($"Recording {FilePath}: the minute row {r.GetInt64(0)} (minute {r.GetInt64(1)} of twin '{twinId}') is damaged: {ex.Message}", ex);
                }
                if (part is { } m) MinuteRollup.Merge(minutes, m);
            }
        }
        using (var cmd = c.CreateCommand())
        {
            // One row per twin, tag and minute: recordings written before the layout above.
            cmd.CommandText = "SELECT minute, count, numbers, min, max, sum, last_ticks, last_value FROM recording_minutes WHERE twin = $twin AND tag = $tag AND minute >= $from AND minute < $to ORDER BY minute";
            cmd.Parameters.AddWithValue("$twin", twinId);
            cmd.Parameters.AddWithValue("$tag", tag);
            cmd.Parameters.AddWithValue("$from", fromMinute);
            cmd.Parameters.AddWithValue("$to", toMinute);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                TagValue last;
                try { last = RecordingCodec.ReadValueOnly((byte[])r.GetValue(7)); }
                catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
                {
                    throw new InvalidDataException($"Recording {FilePath}: the minute {r.GetInt64(0)} of tag '{tag}' of twin '{twinId}' is damaged: {ex.Message}", ex);
                }
                MinuteRollup.Merge(minutes, new RecordedMinute(r.GetInt64(0) * TimeSpan.TicksPerMinute, r.GetInt64(1), r.GetInt64(2), r.GetDouble(3), r.GetDouble(4), r.GetDouble(5), r.GetInt64(6), last));
            }
        }
        return [.. minutes.Values];
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
    public Task StopAsync(CancellationToken cancellationToken) => _recording.StopAsync(cancellationToken);

    /// <inheritdoc />
    ValueTask IRecordingStore.CloseAsync(MinuteRollup minutes, CancellationToken cancellationToken)
    {
        // The open spans are written too (a restart indexes from recording_state.unindexed_from otherwise).
        _spans.CloseAll();
        using (var tx = _writer.BeginTransaction())
        {
            WriteMinutes(minutes);
            WriteSpans();
            tx.Commit();
        }
        _spans.Written(_writing);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try { await _recording.DisposeAsync().ConfigureAwait(false); }
        finally
        {
            _insert?.Dispose();
            _spanInsert?.Dispose();
            _stateUpdate?.Dispose();
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
}
