using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Recording;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Imv.Persistence.PostgreSql.Recording;

/// <summary>The plant recording in PostgreSQL (tables <c>imv_recording</c>, <c>imv_recording_minutes</c>,
/// <c>imv_recording_commits</c>, schema version 2), shared by every silo of a cluster. The write side is the SQLite
/// recorder's (the shared <see cref="RecordingWriter"/>, with this class as its store): twins hand accepted readings and
/// command transitions to a bounded queue (encoded on the twin's turn, no I/O), one writer thread gathers them for
/// <see cref="RecordingOptions.FlushInterval"/> and appends them with one binary COPY per commit. A full queue drops new entries, counted in <see cref="Dropped"/> and logged at most every 10 s.</summary>
/// <remarks>Durable means: once committed (at most one flush interval after the twin accepted it) an entry survives a
/// crash of the silo. A failed commit (server down) is retried every second with the same entries, in order, while the
/// queue fills behind it: nothing handed over is lost until the queue is full (then dropped, counted and logged). The
/// schema is applied by the silo's PostgreSQL startup (<c>Silo:Database:Migrate</c>) before <see cref="StartAsync"/>.</remarks>
public sealed class PostgreSqlTwinRecorder : ITwinRecorder, IRecordingReader, IHostedService, IAsyncDisposable, IRecordingStore
{
    /// <summary>The entries' table.</summary>
    public const string Table = "imv_recording";

    /// <summary>Bytes counted per row beyond its data and twin id (tuple header, position, instant, kind, the index
    /// entries): an estimate, for retention by size.</summary>
    public const int RowOverheadBytes = 64;

    // Any constant shared by every Imv process: one silo at a time applies retention.
    private const long RetentionLockKey = 0x496D_765F_5245_4354; // "Imv_RECT"

    private readonly RecordingOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly RecordingWriter _recording;
    private readonly RecordingIntake _intake;
    private readonly TagNames _names = new();
    private readonly bool _ownsDataSource;

    /// <summary>A recorder writing to the database of <paramref name="dataSource"/> (its schema at version 2 or later).
    /// Nothing is written before <see cref="StartAsync"/>: entries handed over meanwhile wait in the queue. The data source
    /// is disposed with the recorder when <paramref name="ownsDataSource"/>.</summary>
    public PostgreSqlTwinRecorder(RecordingOptions options, NpgsqlDataSource dataSource, ILogger<PostgreSqlTwinRecorder> logger, TimeProvider? time = null, bool ownsDataSource = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(logger);
        var problems = options.Problems();
        if (problems.Count > 0) throw new ArgumentException($"Invalid recording settings: {string.Join("; ", problems)}.", nameof(options));
        _options = options;
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Location = $"table {Table} in PostgreSQL {PostgreSqlSchema.Describe(dataSource)}";
        _recording = new RecordingWriter(this, options, Location, "imv-recording-writer-pg", time ?? TimeProvider.System, logger);
        _intake = _recording.Intake;
    }

    /// <inheritdoc />
    public string Location { get; }

    /// <summary>Entries handed over and queued.</summary>
    public long Enqueued => _recording.Enqueued;

    /// <summary>Entries committed.</summary>
    public long Committed => _recording.Committed;

    /// <summary>Readings committed.</summary>
    public long CommittedReadings => _recording.CommittedReadings;

    /// <summary>Entries dropped because the queue was full (or the recorder stopped).</summary>
    public long Dropped => _recording.Dropped;

    /// <summary>Commits so far.</summary>
    public long Commits => _recording.Commits;

    /// <summary>Time the writer spent committing.</summary>
    public TimeSpan CommitTime => _recording.CommitTime;

    /// <summary>CPU time of the writer's thread so far (Linux; null elsewhere).</summary>
    public TimeSpan? WriterCpuTime => _recording.WriterCpuTime;

    /// <summary>Entries deleted by this silo's retention passes.</summary>
    public long DeletedByRetention => _recording.DeletedByRetention;

    /// <summary>For measurements: while true, twins' entries are not recorded at all.</summary>
    public bool Paused { get => _intake.Paused; set => _intake.Paused = value; }

    /// <inheritdoc />
    public void RecordReadings(string twinId, DateTimeOffset receivedAt, ReadOnlySpan<TagUpdate> updates, ReadOnlySpan<bool> accepted) =>
        _intake.RecordReadings(twinId, receivedAt, updates, accepted);

    /// <inheritdoc />
    public void RecordCommand(string twinId, CommandRecord record) => _intake.RecordCommand(twinId, record);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _recording.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task FlushAsync(CancellationToken cancellationToken = default) => _recording.FlushAsync(cancellationToken);

    /// <inheritdoc />
    void IRecordingStore.Commit(List<RecordingQueue.Chunk> chunks, MinuteRollup minutes)
    {
        long bytes = 0;
        using var connection = _dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        using (var copy = connection.BeginBinaryImport($"COPY {Table} (twin, at, kind, data) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var chunk in chunks)
            {
                for (int i = 0; i < chunk.Count; i++)
                {
                    ref readonly var e = ref chunk.Entries[i];
                    copy.StartRow();
                    copy.Write(e.TwinId, NpgsqlDbType.Text);
                    copy.Write(e.Ticks, NpgsqlDbType.Bigint);
                    copy.Write((short)e.Kind, NpgsqlDbType.Smallint);
                    copy.Write(new ArraySegment<byte>(chunk.Data, e.Offset, e.Length), NpgsqlDbType.Bytea);
                    bytes += e.Length + e.TwinId.Length + RowOverheadBytes;
                }
            }
            copy.Complete();
        }
        WriteMinutes(connection, minutes);
        using (var account = new NpgsqlCommand(
            $"INSERT INTO imv_recording_commits (last_position, bytes) VALUES (currval(pg_get_serial_sequence('{Table}', 'position')), @bytes)", connection, tx))
        {
            account.Parameters.AddWithValue("bytes", bytes);
            account.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <inheritdoc />
    bool IRecordingStore.IsTransient(Exception exception) => exception is NpgsqlException or InvalidOperationException or TimeoutException;

    /// <summary>In the writer's transaction: the minutes finished so far, one row per twin and minute.</summary>
    private static void WriteMinutes(NpgsqlConnection connection, MinuteRollup minutes)
    {
        if (minutes.Pending == 0) return;
        using var copy = connection.BeginBinaryImport("COPY imv_recording_minutes (twin, minute, data) FROM STDIN (FORMAT BINARY)");
        minutes.Write((twin, minute, data) =>
        {
            copy.StartRow();
            copy.Write(twin, NpgsqlDbType.Text);
            copy.Write(minute, NpgsqlDbType.Bigint);
            copy.Write(data.ToArray(), NpgsqlDbType.Bytea);
        });
        copy.Complete();
    }

    /// <summary>Deletes entries older than <see cref="RecordingOptions.MaxAge"/>, then the oldest while the recording
    /// holds more than <see cref="RecordingOptions.MaxSizeMb"/> as counted in <c>imv_recording_commits</c> (entry bytes,
    /// twin ids and <see cref="RowOverheadBytes"/> a row: not the table's pages, which PostgreSQL keeps for reuse). One
    /// silo at a time (an advisory lock; another silo's pass is skipped, not waited for). Returns the entries deleted
    /// (counted in <see cref="DeletedByRetention"/> and logged).</summary>
    public long ApplyRetention(long nowTicks) => _recording.ApplyRetention(nowTicks);

    /// <inheritdoc />
    long IRecordingStore.DeleteExpired(long nowTicks)
    {
        using var connection = _dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        using (var gate = new NpgsqlCommand($"SELECT pg_try_advisory_xact_lock({RetentionLockKey})", connection, tx))
            if (gate.ExecuteScalar() is not true) return 0;
        long cutoff = nowTicks - _options.MaxAge.Ticks, maxBytes = _options.MaxSizeMb * 1024 * 1024;
        long deleted = Execute(connection, tx, $"DELETE FROM {Table} WHERE at < @cutoff", ("cutoff", cutoff));
        Execute(connection, tx, "DELETE FROM imv_recording_minutes WHERE minute < @minute", ("minute", cutoff / TimeSpan.TicksPerMinute));
        // The newest commits that fit under the limit stay; every position up to the first commit beyond goes.
        deleted += Execute(connection, tx, $"""
            DELETE FROM {Table} WHERE position <= (
                SELECT last_position FROM (SELECT last_position, sum(bytes) OVER (ORDER BY last_position DESC) AS newer FROM imv_recording_commits) c
                WHERE newer > @max ORDER BY last_position DESC LIMIT 1)
            """, ("max", maxBytes));
        // Commits whose entries are all gone stop counting.
        Execute(connection, tx, $"DELETE FROM imv_recording_commits WHERE last_position < coalesce((SELECT min(position) FROM {Table}), (SELECT max(last_position) + 1 FROM imv_recording_commits))");
        tx.Commit();
        return deleted;
    }

    /// <summary>The connection string the recorder's data source should use: <paramref name="connectionString"/> with a
    /// 256 KiB read buffer unless it sets one (Npgsql's default is 8 KiB: a day's history reads ~1 MB of minute rows, and
    /// on a loaded machine each refill of a small buffer is another wait for the CPU; measured in docs/performance.md).</summary>
    public static string ConnectionStringFor(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Read Buffer Size", StringComparison.OrdinalIgnoreCase) && !connectionString.Contains("ReadBufferSize", StringComparison.OrdinalIgnoreCase))
            b.ReadBufferSize = 256 * 1024;
        return b.ConnectionString;
    }

    /// <summary>The bytes the recording holds as retention by size counts them.</summary>
    public long CountedBytes()
    {
        using var connection = _dataSource.OpenConnection();
        using var c = new NpgsqlCommand("SELECT coalesce(sum(bytes), 0)::bigint FROM imv_recording_commits", connection);
        return (long)c.ExecuteScalar()!;
    }

    private static long Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var c = new NpgsqlCommand(sql, connection, tx);
        foreach (var (name, value) in parameters) c.Parameters.AddWithValue(name, value);
        return c.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public (DateTimeOffset First, DateTimeOffset Last)? Range(string twinId)
    {
        using var connection = _dataSource.OpenConnection();
        using var c = new NpgsqlCommand($"""
            SELECT (SELECT at FROM {Table} WHERE twin = @twin ORDER BY at, position LIMIT 1),
                   (SELECT at FROM {Table} WHERE twin = @twin ORDER BY at DESC, position DESC LIMIT 1)
            """, connection);
        c.Parameters.AddWithValue("twin", twinId);
        using var r = c.ExecuteReader();
        if (!r.Read() || r.IsDBNull(0)) return null;
        return (new DateTimeOffset(r.GetInt64(0), TimeSpan.Zero), new DateTimeOffset(r.GetInt64(1), TimeSpan.Zero));
    }

    /// <inheritdoc />
    public IEnumerable<RecordedEntry> Read(string twinId, DateTimeOffset from, DateTimeOffset to, bool newestFirst = false)
    {
        // Pages by (instant, position), growing: a time-travel read usually stops after a few entries, a forwards read
        // of a range takes everything.
        long lastAt = newestFirst ? long.MaxValue : long.MinValue, lastPosition = newestFirst ? long.MaxValue : long.MinValue;
        int page = 64;
        string order = newestFirst ? "DESC" : "";
        string after = newestFirst ? "(at, position) < (@lastAt, @lastPosition)" : "(at, position) > (@lastAt, @lastPosition)";
        while (true)
        {
            var rows = new List<(long Position, long At, int Kind, byte[] Data)>(page);
            using (var connection = _dataSource.OpenConnection())
            using (var c = new NpgsqlCommand($"""
                SELECT position, at, kind, data FROM {Table}
                WHERE twin = @twin AND at >= @from AND at <= @to AND {after}
                ORDER BY at {order}, position {order} LIMIT @limit
                """, connection))
            {
                c.Parameters.AddWithValue("twin", twinId);
                c.Parameters.AddWithValue("from", from.UtcTicks);
                c.Parameters.AddWithValue("to", to.UtcTicks);
                c.Parameters.AddWithValue("lastAt", lastAt);
                c.Parameters.AddWithValue("lastPosition", lastPosition);
                c.Parameters.AddWithValue("limit", page);
                using var r = c.ExecuteReader();
                while (r.Read()) rows.Add((r.GetInt64(0), r.GetInt64(1), r.GetInt16(2), (byte[])r.GetValue(3)));
            }
            foreach (var (position, at, kind, data) in rows)
                yield return RecordingCodec.Decode(Location, twinId, position, at, kind, data, _names);
            if (rows.Count < page) yield break;
            lastAt = rows[^1].At;
            lastPosition = rows[^1].Position;
            page = Math.Min(page * 4, 4096);
        }
    }

    /// <inheritdoc />
    public List<(long SourceTicks, TagValue Value)> ReadTag(string twinId, string tag, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var name = System.Text.Encoding.UTF8.GetBytes(tag);
        var into = new List<(long, TagValue)>();
        using var connection = _dataSource.OpenConnection();
        using var c = new NpgsqlCommand($"""
            SELECT position, at, data FROM {Table}
            WHERE twin = @twin AND at >= @from AND at <= @to AND kind = {RecordingCodec.ReadingsKind}
            ORDER BY at, position
            """, connection);
        c.Parameters.AddWithValue("twin", twinId);
        c.Parameters.AddWithValue("from", from.UtcTicks);
        c.Parameters.AddWithValue("to", to.UtcTicks);
        using var r = c.ExecuteReader();
        while (r.Read())
        {
            long position = r.GetInt64(0);
            try { RecordingCodec.ReadTag((byte[])r.GetValue(2), r.GetInt64(1), name, into); }
            catch (Exception ex) when (ex is InvalidDataException or ArgumentOutOfRangeException or OverflowException or EndOfStreamException)
            {
                throw new InvalidDataException($"Recording {Location}: the entry at position {position} (twin '{twinId}') is damaged: {ex.Message}", ex);
            }
        }
        return into;
    }

    /// <inheritdoc />
    public List<RecordedMinute> ReadMinutes(string twinId, string tag, DateTimeOffset from, DateTimeOffset to)
    {
        long fromMinute = (from.UtcTicks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute, toMinute = to.UtcTicks / TimeSpan.TicksPerMinute;
        var minutes = new SortedDictionary<long, RecordedMinute>();
        var name = System.Text.Encoding.UTF8.GetBytes(tag);
        using var connection = _dataSource.OpenConnection();
        using var c = new NpgsqlCommand("SELECT id, minute, data FROM imv_recording_minutes WHERE twin = @twin AND minute >= @from AND minute < @to ORDER BY minute, id", connection);
        c.Parameters.AddWithValue("twin", twinId);
        c.Parameters.AddWithValue("from", fromMinute);
        c.Parameters.AddWithValue("to", toMinute);
        using var r = c.ExecuteReader();
        while (r.Read())
        {
            RecordedMinute? part;
            try { part = MinuteRollup.ReadTag((byte[])r.GetValue(2), name, r.GetInt64(1)); }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ArgumentOutOfRangeException or OverflowException)
            {
                throw new InvalidDataException($"Recording {Location}: the row {r.GetInt64(0)} of imv_recording_minutes (minute {r.GetInt64(1)} of twin '{twinId}') is damaged: {ex.Message}", ex);
            }
            if (part is { } m) MinuteRollup.Merge(minutes, m);
        }
        return [.. minutes.Values];
    }

    /// <inheritdoc />
    public IReplayRecording OpenForReplay() => new PostgreSqlReplaySource(_dataSource, Location);

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => _recording.StopAsync(cancellationToken);

    /// <inheritdoc />
    async ValueTask IRecordingStore.CloseAsync(MinuteRollup minutes, CancellationToken cancellationToken)
    {
        if (minutes.Pending == 0) return;
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        WriteMinutes(connection, minutes);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try { await _recording.DisposeAsync().ConfigureAwait(false); }
        finally
        {
            if (_ownsDataSource) await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }
}
