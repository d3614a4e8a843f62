using Imv.Persistence.Recording;
using Npgsql;
using NpgsqlTypes;

namespace Imv.Persistence.PostgreSql.Recording;

/// <summary>The recording's PostgreSQL tables as the <see cref="RecordingWriter"/> writes them: one binary COPY of the
/// entries per commit with the finished minutes and the commit's counted bytes (<c>imv_recording_commits</c>) in the
/// same transaction, retention by one silo at a time (an advisory lock). A connection from the data source per commit.</summary>
internal sealed class PostgreSqlRecordingStore : IRecordingStore
{
    // Any constant shared by every Imv process: one silo at a time applies retention.
    private const long RetentionLockKey = 0x496D_765F_5245_4354; // "Imv_RECT"

    private readonly RecordingOptions _options;
    private readonly bool _ownsDataSource;

    private PostgreSqlRecordingStore(RecordingOptions options, NpgsqlDataSource dataSource, bool ownsDataSource)
    {
        _options = options;
        DataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Location = $"table {PostgreSqlTwinRecorder.Table} in PostgreSQL {PostgreSqlSchema.Describe(dataSource)}";
    }

    /// <summary>The store on <paramref name="dataSource"/> (disposed with it when <paramref name="ownsDataSource"/>);
    /// throws naming every bad setting.</summary>
    public static PostgreSqlRecordingStore Open(RecordingOptions options, NpgsqlDataSource dataSource, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dataSource);
        var problems = options.Problems();
        if (problems.Count > 0) throw new ArgumentException($"Invalid recording settings: {string.Join("; ", problems)}.", nameof(options));
        return new PostgreSqlRecordingStore(options, dataSource, ownsDataSource);
    }

    /// <summary>The database's connections.</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The table and its database, for messages.</summary>
    public string Location { get; }

    /// <inheritdoc />
    public void Commit(List<RecordingQueue.Chunk> chunks, IReadOnlyList<TagSchema> schemas, MinuteRollup minutes)
    {
        long bytes = 0;
        using var connection = DataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        if (schemas.Count > 0)
        {
            // Before the entries that name them; another silo may have stored the same schema (same id, same names).
            using var insert = new NpgsqlCommand("INSERT INTO imv_recording_schemas (id, names) VALUES (@id, @names) ON CONFLICT (id) DO NOTHING", connection, tx);
            var id = insert.Parameters.Add("id", NpgsqlDbType.Bytea);
            var names = insert.Parameters.Add("names", NpgsqlDbType.Bytea);
            foreach (var schema in schemas)
            {
                id.Value = TagSchema.IdBytes(schema.Id);
                names.Value = schema.Bytes;
                insert.ExecuteNonQuery();
            }
        }
        using (var copy = connection.BeginBinaryImport($"COPY {PostgreSqlTwinRecorder.Table} (twin, at, kind, data) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var chunk in chunks)
            {
                for (int i = 0; i < chunk.Count; i++)
                {
                    ref readonly var e = ref chunk.Entries[i];
                    copy.StartRow();
                    copy.Write(e.Twin.Id, NpgsqlDbType.Text);
                    copy.Write(e.Ticks, NpgsqlDbType.Bigint);
                    copy.Write((short)e.Kind, NpgsqlDbType.Smallint);
                    copy.Write(new ArraySegment<byte>(chunk.Data, e.Offset, e.Length), NpgsqlDbType.Bytea);
                    bytes += e.Length + e.Twin.Id.Length + PostgreSqlTwinRecorder.RowOverheadBytes;
                }
            }
            copy.Complete();
        }
        WriteMinutes(connection, minutes);
        using (var account = new NpgsqlCommand(
            $"INSERT INTO imv_recording_commits (last_position, bytes) VALUES (currval(pg_get_serial_sequence('{PostgreSqlTwinRecorder.Table}', 'position')), @bytes)", connection, tx))
        {
            account.Parameters.AddWithValue("bytes", bytes);
            account.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <inheritdoc />
    public bool IsTransient(Exception exception) => exception is NpgsqlException or InvalidOperationException or TimeoutException;

    /// <inheritdoc />
    public TagSchema? FindSchema(UInt128 id) => FindSchema(DataSource, id);

    /// <summary>The tag schema stored under <paramref name="id"/> in the database of <paramref name="dataSource"/>, or
    /// null; throws <see cref="InvalidDataException"/> when its row is damaged (the entry's decoder names the table
    /// and the entry).</summary>
    internal static TagSchema? FindSchema(NpgsqlDataSource dataSource, UInt128 id)
    {
        using var connection = dataSource.OpenConnection();
        using var c = new NpgsqlCommand("SELECT names FROM imv_recording_schemas WHERE id = @id", connection);
        c.Parameters.AddWithValue("id", TagSchema.IdBytes(id));
        return c.ExecuteScalar() is byte[] names ? TagSchema.Parse(id, names) : null;
    }

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
    /// twin ids and <see cref="PostgreSqlTwinRecorder.RowOverheadBytes"/> a row: not the table's pages, which PostgreSQL
    /// keeps for reuse). One silo at a time (an advisory lock; another silo's pass is skipped, not waited for). Returns the
    /// entries deleted.</summary>
    public long DeleteExpired(long nowTicks)
    {
        using var connection = DataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        using (var gate = new NpgsqlCommand($"SELECT pg_try_advisory_xact_lock({RetentionLockKey})", connection, tx))
            if (gate.ExecuteScalar() is not true) return 0;
        long cutoff = nowTicks - _options.MaxAge.Ticks, maxBytes = _options.MaxSizeMb * 1024 * 1024;
        long deleted = Execute(connection, tx, $"DELETE FROM {PostgreSqlTwinRecorder.Table} WHERE at < @cutoff", ("cutoff", cutoff));
        Execute(connection, tx, "DELETE FROM imv_recording_minutes WHERE minute < @minute", ("minute", cutoff / TimeSpan.TicksPerMinute));
        // The newest commits that fit under the limit stay; every position up to the first commit beyond goes.
        deleted += Execute(connection, tx, $"""
            DELETE FROM {PostgreSqlTwinRecorder.Table} WHERE position <= (
                SELECT last_position FROM (SELECT last_position, sum(bytes) OVER (ORDER BY last_position DESC) AS newer FROM imv_recording_commits) c
                WHERE newer > @max ORDER BY last_position DESC LIMIT 1)
            """, ("max", maxBytes));
        // Commits whose entries are all gone stop counting.
        Execute(connection, tx, $"DELETE FROM imv_recording_commits WHERE last_position < coalesce((SELECT min(position) FROM {PostgreSqlTwinRecorder.Table}), (SELECT max(last_position) + 1 FROM imv_recording_commits))");
        tx.Commit();
        return deleted;
    }

    /// <inheritdoc />
    public async ValueTask CloseAsync(MinuteRollup minutes, CancellationToken cancellationToken)
    {
        if (minutes.Pending == 0) return;
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        WriteMinutes(connection, minutes);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_ownsDataSource) await DataSource.DisposeAsync().ConfigureAwait(false);
    }

    private static long Execute(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var c = new NpgsqlCommand(sql, connection, tx);
        foreach (var (name, value) in parameters) c.Parameters.AddWithValue(name, value);
        return c.ExecuteNonQuery();
    }
}
