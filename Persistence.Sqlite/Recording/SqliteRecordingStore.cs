using Imv.Persistence.Recording;
using Microsoft.Data.Sqlite;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>The recording's SQLite file as the <see cref="RecordingWriter"/> writes it: the schema, rows appended at the
/// writer's positions, the twins' spans (<see cref="TwinSpans"/>, read by the recorder too), the minute rows, retention,
/// and on open the spans a crash left in memory only. Used by the writer's thread alone (and the recorder's reads of
/// <see cref="Spans"/>, under its own lock).</summary>
internal sealed class SqliteRecordingStore : IRecordingStore
{
    private readonly RecordingOptions _options;
    private readonly SqliteConnection _writer;
    private TwinSpans.Entry[] _committing = new TwinSpans.Entry[1024];
    private readonly List<TwinSpans.Span> _writing = [];
    private long _nextPosition = 1;
    private RawStatement? _insert, _spanInsert, _stateUpdate, _schemaInsert;

    private SqliteRecordingStore(RecordingOptions options, string filePath)
    {
        _options = options;
        FilePath = filePath;
        ConnectionString = new SqliteConnectionStringBuilder { DataSource = FilePath, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false, DefaultTimeout = 30 }.ToString();
        _writer = new SqliteConnection(ConnectionString);
        _writer.Open();
        // A new file gets 16 KiB pages (an existing one keeps its own): the recording is appended at full ingest rate
        // (about 20 MB/s with 100,000 twins of 20 tags), and with SQLite's 4 KiB default the writer spent half its
        // time in the kernel, two writes per page into the WAL and a read and a write per page at each checkpoint.
        // Four times fewer pages cut the writer's CPU by about 40 %; larger pages would cut a little more, but the
        // twin indexes (spans, minutes) take an insert at a random place per twin and minute, and each such page is
        // written whole.
        Execute(_writer, """
            PRAGMA page_size=16384;
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
            """ + SchemaTable.Create);
        OpenIndex();
    }

    /// <summary>Opens (creating when missing) the recording at <see cref="RecordingOptions.Path"/>; throws naming every
    /// bad setting.</summary>
    public static SqliteRecordingStore Open(RecordingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Path)) throw new ArgumentException("The recording needs a file (Recording:Path).", nameof(options));
        var problems = options.Problems();
        if (problems.Count > 0) throw new ArgumentException($"Invalid recording settings: {string.Join("; ", problems)}.", nameof(options));
        return new SqliteRecordingStore(options, System.IO.Path.GetFullPath(options.Path));
    }

    /// <summary>The recording's file.</summary>
    public string FilePath { get; }

    /// <summary>The file's connection string (read-write; readers open it read-only).</summary>
    public string ConnectionString { get; }

    /// <summary>The twins' spans not yet written (open, or closed and waiting for a commit).</summary>
    public TwinSpans Spans { get; } = new();

    /// <inheritdoc />
    public void Commit(List<RecordingQueue.Chunk> chunks, IReadOnlyList<TagSchema> schemas, MinuteRollup minutes)
    {
        long position = _nextPosition;
        int indexed = 0;
        try
        {
            _insert ??= RawStatement.RecordingInsert(_writer);
            using var tx = _writer.BeginTransaction();   // BEGIN IMMEDIATE: waits (busy timeout) for another writer's lock
            if (schemas.Count > 0)
            {
                _schemaInsert ??= new RawStatement(_writer, SchemaTable.Insert);
                foreach (var schema in schemas)
                {
                    _schemaInsert.Blob(1, TagSchema.IdBytes(schema.Id));
                    _schemaInsert.Blob(2, schema.Bytes);
                    _schemaInsert.Run();
                }
            }
            foreach (var chunk in chunks)
            {
                var data = chunk.Data;
                for (int i = 0; i < chunk.Count; i++)
                {
                    ref readonly var e = ref chunk.Entries[i];
                    // Positions are the writer's (not SQLite's next rowid): the spans hold them before the rows commit.
                    _insert.Insert(position, e.Twin.IdUtf8, e.Ticks, e.Kind, new ReadOnlySpan<byte>(data, e.Offset, e.Length));
                    if (indexed == _committing.Length) Array.Resize(ref _committing, indexed * 2);
                    _committing[indexed++] = new TwinSpans.Entry(e.Twin.Id, position, e.Ticks, e.Kind, e.Twin);
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
        Spans.Written(_writing);
        _nextPosition = position;
        Spans.Add(_committing.AsSpan(0, indexed));
    }

    /// <inheritdoc />
    public bool IsTransient(Exception exception) => exception is SqliteException;

    /// <inheritdoc />
    public TagSchema? FindSchema(UInt128 id)
    {
        using var c = new SqliteConnection(new SqliteConnectionStringBuilder(ConnectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString());
        c.Open();
        return SchemaTable.Find(c, id);
    }

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
        Spans.TakeClosing(_writing);
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
        _stateUpdate.Int64(1, Spans.UnindexedFrom(_nextPosition, _writing.Count));
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
                if (entries.Count == 65_536) { Spans.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(entries)); entries.Clear(); }
            }
        }
        Spans.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(entries));
        if (unindexedFrom == 0)
        {
            // The rows of an older file are all indexed now, and their (twin, at) index goes (no insert maintains it).
            Spans.CloseAll();
            using var tx = _writer.BeginTransaction();
            WriteSpans();
            using (var drop = _writer.CreateCommand())
            {
                drop.Transaction = tx;
                drop.CommandText = "DROP INDEX IF EXISTS recording_twin_at";
                drop.ExecuteNonQuery();
            }
            tx.Commit();
            Spans.Written(_writing);
        }
    }

    /// <summary>Deletes entries older than <see cref="RecordingOptions.MaxAge"/>, then the oldest tenth while the
    /// file holds more than <see cref="RecordingOptions.MaxSizeMb"/> (freed pages are reused: the file stops growing).</summary>
    public long DeleteExpired(long nowTicks)
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

    /// <inheritdoc />
    public ValueTask CloseAsync(MinuteRollup minutes, CancellationToken cancellationToken)
    {
        // The open spans are written too (a restart indexes from recording_state.unindexed_from otherwise).
        Spans.CloseAll();
        using (var tx = _writer.BeginTransaction())
        {
            WriteMinutes(minutes);
            WriteSpans();
            tx.Commit();
        }
        Spans.Written(_writing);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _insert?.Dispose();
        _spanInsert?.Dispose();
        _stateUpdate?.Dispose();
        _schemaInsert?.Dispose();
        _writer.Dispose();
        return ValueTask.CompletedTask;
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
