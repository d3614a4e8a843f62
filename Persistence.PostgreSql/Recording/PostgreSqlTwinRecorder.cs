using System.Runtime.CompilerServices;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Imv.Persistence.PostgreSql.Recording;

/// <summary>The plant recording in PostgreSQL (tables <c>imv_recording</c>, <c>imv_recording_minutes</c>,
/// <c>imv_recording_commits</c>, <c>imv_recording_schemas</c>, schema version 3), shared by every silo of a cluster. The write side is the SQLite
/// recorder's (the shared <see cref="TwinRecorderBase"/>, over <see cref="PostgreSqlRecordingStore"/>): twins hand accepted
/// readings and command transitions to a bounded queue (encoded on the twin's turn, no I/O), one writer thread gathers
/// them for <see cref="RecordingOptions.FlushInterval"/> and appends them with one binary COPY per commit. A full queue
/// drops new entries, counted in <see cref="TwinRecorderBase.Dropped"/> and logged at most every 10 s. This class adds
/// the reads.</summary>
/// <remarks>Durable means: once committed (at most one flush interval after the twin accepted it) an entry survives a
/// crash of the silo. A failed commit (server down) is retried every second with the same entries, in order, while the
/// queue fills behind it: nothing handed over is lost until the queue is full (then dropped, counted and logged). The
/// schema is applied by the silo's PostgreSQL startup (<c>Silo:Database:Migrate</c>) before
/// <see cref="TwinRecorderBase.StartAsync"/>.</remarks>
public sealed class PostgreSqlTwinRecorder : TwinRecorderBase, IRecordingReader, IHostedService
{
    /// <summary>The entries' table.</summary>
    public const string Table = "imv_recording";

    /// <summary>Bytes counted per row beyond its data and twin id (tuple header, position, instant, kind, the index
    /// entries): an estimate, for retention by size.</summary>
    public const int RowOverheadBytes = 64;

    private readonly NpgsqlDataSource _dataSource;
    private readonly TagNames _names = new();

    /// <summary>A recorder writing to the database of <paramref name="dataSource"/> (its schema at version 3 or later).
    /// Nothing is written before <see cref="TwinRecorderBase.StartAsync"/>: entries handed over meanwhile wait in the
    /// queue. The data source is disposed with the recorder when <paramref name="ownsDataSource"/>.</summary>
    public PostgreSqlTwinRecorder(RecordingOptions options, NpgsqlDataSource dataSource, ILogger<PostgreSqlTwinRecorder> logger, TimeProvider? time = null, bool ownsDataSource = false)
        : this(PostgreSqlRecordingStore.Open(options, dataSource, ownsDataSource), options, logger, time)
    {
    }

    private PostgreSqlTwinRecorder(PostgreSqlRecordingStore store, RecordingOptions options, ILogger logger, TimeProvider? time)
        : base(store, options, store.Location, "imv-recording-writer-pg", time, logger) =>
        _dataSource = store.DataSource;

    /// <summary>Deletes entries older than <see cref="RecordingOptions.MaxAge"/>, then the oldest while the recording
    /// holds more than <see cref="RecordingOptions.MaxSizeMb"/> as counted in <c>imv_recording_commits</c> (entry bytes,
    /// twin ids and <see cref="RowOverheadBytes"/> a row: not the table's pages, which PostgreSQL keeps for reuse). One
    /// silo at a time (an advisory lock; another silo's pass is skipped, not waited for). Returns the entries deleted
    /// (counted in <see cref="TwinRecorderBase.DeletedByRetention"/> and logged).</summary>
    public long ApplyRetention(long nowTicks) => ApplyRetentionNow(nowTicks);

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

    /// <inheritdoc />
    public async ValueTask<(DateTimeOffset First, DateTimeOffset Last)?> RangeAsync(string twinId, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var c = new NpgsqlCommand($"""
            SELECT (SELECT at FROM {Table} WHERE twin = @twin ORDER BY at, position LIMIT 1),
                   (SELECT at FROM {Table} WHERE twin = @twin ORDER BY at DESC, position DESC LIMIT 1)
            """, connection);
        c.Parameters.AddWithValue("twin", twinId);
        await using var r = await c.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false) || r.IsDBNull(0)) return null;
        return (new DateTimeOffset(r.GetInt64(0), TimeSpan.Zero), new DateTimeOffset(r.GetInt64(1), TimeSpan.Zero));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<RecordedEntry> ReadAsync(string twinId, DateTimeOffset from, DateTimeOffset to, bool newestFirst = false,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
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
            await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false))
            await using (var c = new NpgsqlCommand($"""
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
                await using var r = await c.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add((r.GetInt64(0), r.GetInt64(1), r.GetInt16(2), (byte[])r.GetValue(3)));
            }
            foreach (var (position, at, kind, data) in rows)
                yield return RecordingCodec.Decode(Location, twinId, position, at, kind, data, Schemas, _names);
            if (rows.Count < page) yield break;
            lastAt = rows[^1].At;
            lastPosition = rows[^1].Position;
            page = Math.Min(page * 4, 4096);
        }
    }

    /// <inheritdoc />
    public async ValueTask<List<(long SourceTicks, TagValue Value)>> ReadTagAsync(string twinId, string tag, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var name = System.Text.Encoding.UTF8.GetBytes(tag);
        var into = new List<(long, TagValue)>();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        using var c = new NpgsqlCommand($"""
            SELECT position, at, data FROM {Table}
            WHERE twin = @twin AND at >= @from AND at <= @to AND kind = {RecordingCodec.ReadingsKind}
            ORDER BY at, position
            """, connection);
        c.Parameters.AddWithValue("twin", twinId);
        c.Parameters.AddWithValue("from", from.UtcTicks);
        c.Parameters.AddWithValue("to", to.UtcTicks);
        await using var r = await c.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            long position = r.GetInt64(0);
            try { RecordingCodec.ReadTag((byte[])r.GetValue(2), r.GetInt64(1), name, Schemas, into); }
            catch (Exception ex) when (ex is InvalidDataException or ArgumentOutOfRangeException or OverflowException or EndOfStreamException)
            {
                throw new InvalidDataException($"Recording {Location}: the entry at position {position} (twin '{twinId}') is damaged: {ex.Message}", ex);
            }
        }
        return into;
    }

    /// <inheritdoc />
    public async ValueTask<List<RecordedMinute>> ReadMinutesAsync(string twinId, string tag, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        long fromMinute = (from.UtcTicks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute, toMinute = to.UtcTicks / TimeSpan.TicksPerMinute;
        var minutes = new SortedDictionary<long, RecordedMinute>();
        var name = System.Text.Encoding.UTF8.GetBytes(tag);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var c = new NpgsqlCommand("SELECT id, minute, data FROM imv_recording_minutes WHERE twin = @twin AND minute >= @from AND minute < @to ORDER BY minute, id", connection);
        c.Parameters.AddWithValue("twin", twinId);
        c.Parameters.AddWithValue("from", fromMinute);
        c.Parameters.AddWithValue("to", toMinute);
        await using var r = await c.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
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
}
