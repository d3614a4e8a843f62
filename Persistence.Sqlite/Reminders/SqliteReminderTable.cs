using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Imv.Persistence.Sqlite;

/// <summary>Orleans' reminder table in SQLite (table <c>reminders</c>, in the same file as the grain state when
/// both name the same path). A row keeps the grain id in its string form, the grain's uniform hash (for the ring
/// range queries of the reminder service), the start time in UTC ticks, the period in ticks, and an ETag that is
/// a random 128-bit value per upsert (so a removed and re-created reminder never gets an ETag it had before).
/// Writes go through the database's writer connection, each its own small transaction.</summary>
internal sealed class SqliteReminderTable(IOptionsMonitor<SqliteStorageOptions> optionsMonitor, SqliteStoreRegistry registry) : IReminderTable
{
    private const string Columns = "grain_id, name, start_at, typeof(start_at), period_ticks, typeof(period_ticks), etag, typeof(etag)";
    private const string SelectGrainSql = "SELECT " + Columns + " FROM reminders WHERE grain_id = $g;";
    private const string SelectRangeSql = "SELECT " + Columns + " FROM reminders WHERE grain_hash > $b AND grain_hash <= $e;";
    private const string SelectWrappedRangeSql = "SELECT " + Columns + " FROM reminders WHERE grain_hash > $b OR grain_hash <= $e;";
    private const string SelectOneSql = "SELECT " + Columns + " FROM reminders WHERE grain_id = $g AND name = $n;";
    private const string UpsertSql = """
        INSERT INTO reminders (grain_id, grain_hash, name, start_at, period_ticks, etag) VALUES ($g, $h, $n, $s, $p, $e)
        ON CONFLICT (grain_id, name) DO UPDATE SET grain_hash = excluded.grain_hash, start_at = excluded.start_at,
            period_ticks = excluded.period_ticks, etag = excluded.etag;
        """;
    private const string DeleteSql = "DELETE FROM reminders WHERE grain_id = $g AND name = $n AND etag = $e;";
    private const string ClearSql = "DELETE FROM reminders;";
    private static readonly string[] NoParameters = [];
    private static readonly string[] GrainParameters = ["$g"];
    private static readonly string[] RangeParameters = ["$b", "$e"];
    private static readonly string[] RowParameters = ["$g", "$n"];
    private static readonly string[] UpsertParameters = ["$g", "$h", "$n", "$s", "$p", "$e"];
    private static readonly string[] DeleteParameters = ["$g", "$n", "$e"];

    /// <summary>The name of the <see cref="SqliteStorageOptions"/> the reminder table uses.</summary>
    public const string OptionsName = SqliteSiloBuilderExtensions.ReminderOptionsName;

    private SqliteStore? _store;

    private SqliteDatabase Database => Volatile.Read(ref _store)?.Database
        ?? throw new InvalidOperationException("The SQLite reminder table is not open: the reminder service has not started it, or has stopped it.");

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_store is not null) return;
        var options = optionsMonitor.Get(OptionsName);
        SqliteStorageOptionsValidator.ThrowIfInvalid(options, "reminders", checkDirectory: true);
        Volatile.Write(ref _store, await registry.AcquireAsync("reminders", options, cancellationToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        var store = Interlocked.Exchange(ref _store, null);
        if (store is not null) await registry.ReleaseAsync(store).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(GrainId grainId) => ReadRows(grainId, CancellationToken.None);

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(GrainId grainId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = Database;
        return Task.FromResult(database.Read(connection =>
        {
            var command = connection.Command(SelectGrainSql, GrainParameters);
            command.Parameters[0].Value = grainId.ToString();
            return ReadList(command, database.Path);
        }));
    }

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(uint begin, uint end) => ReadRows(begin, end, CancellationToken.None);

    /// <summary>The rows whose grain hash is in (<paramref name="begin"/>, <paramref name="end"/>]; when
    /// <paramref name="begin"/> is not less than <paramref name="end"/> the range wraps around the ring: hashes above
    /// <paramref name="begin"/> or at most <paramref name="end"/> (begin == end: the whole ring).</summary>
    public Task<ReminderTableData> ReadRows(uint begin, uint end, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = Database;
        return Task.FromResult(database.Read(connection =>
        {
            var command = connection.Command(begin < end ? SelectRangeSql : SelectWrappedRangeSql, RangeParameters);
            command.Parameters[0].Value = (long)begin;
            command.Parameters[1].Value = (long)end;
            return ReadList(command, database.Path);
        }));
    }

    /// <inheritdoc />
    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => ReadRow(grainId, reminderName, CancellationToken.None);

    /// <inheritdoc />
    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        cancellationToken.ThrowIfCancellationRequested();
        var database = Database;
        return Task.FromResult(database.Read(connection =>
        {
            var command = connection.Command(SelectOneSql, RowParameters);
            command.Parameters[0].Value = grainId.ToString();
            command.Parameters[1].Value = reminderName;
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadEntry(reader, database.Path) : null;
        }));
    }

    /// <inheritdoc />
    public Task<string?> UpsertRow(ReminderEntry entry) => UpsertRow(entry, CancellationToken.None);

    /// <inheritdoc />
    public Task<string?> UpsertRow(ReminderEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(entry.ReminderName);
        cancellationToken.ThrowIfCancellationRequested();
        var database = Database;
        string eTag = Guid.NewGuid().ToString("N");
        long startTicks = entry.StartAt.Kind == DateTimeKind.Local ? entry.StartAt.ToUniversalTime().Ticks : entry.StartAt.Ticks;
        database.ExecuteWrite(_ =>
        {
            var command = database.WriteCommand(UpsertSql, UpsertParameters);
            command.Transaction = null;
            var p = command.Parameters;
            p[0].Value = entry.GrainId.ToString();
            p[1].Value = (long)entry.GrainId.GetUniformHashCode();
            p[2].Value = entry.ReminderName;
            p[3].Value = startTicks;
            p[4].Value = entry.Period.Ticks;
            p[5].Value = eTag;
            return command.ExecuteNonQuery();
        });
        return Task.FromResult<string?>(eTag);
    }

    /// <inheritdoc />
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) => RemoveRow(grainId, reminderName, eTag, CancellationToken.None);

    /// <inheritdoc />
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        cancellationToken.ThrowIfCancellationRequested();
        var database = Database;
        int removed = database.ExecuteWrite(_ =>
        {
            var command = database.WriteCommand(DeleteSql, DeleteParameters);
            command.Transaction = null;
            command.Parameters[0].Value = grainId.ToString();
            command.Parameters[1].Value = reminderName;
            command.Parameters[2].Value = eTag ?? "";
            return command.ExecuteNonQuery();
        });
        return Task.FromResult(removed > 0);
    }

    /// <inheritdoc />
    public Task TestOnlyClearTable() => TestOnlyClearTable(CancellationToken.None);

    /// <inheritdoc />
    public Task TestOnlyClearTable(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var database = Database;
        database.ExecuteWrite(_ =>
        {
            var command = database.WriteCommand(ClearSql, NoParameters);
            command.Transaction = null;
            return command.ExecuteNonQuery();
        });
        return Task.CompletedTask;
    }

    private static ReminderTableData ReadList(SqliteCommand command, string path)
    {
        var list = new List<ReminderEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) list.Add(ReadEntry(reader, path));
        return new ReminderTableData(list);
    }

    private static ReminderEntry ReadEntry(SqliteDataReader reader, string path)
    {
        string id = reader.GetString(0);
        string name = reader.GetString(1);
        if (reader.GetString(3) != "integer" || reader.GetString(5) != "integer" || reader.GetString(7) != "text")
            throw Corrupt(id, name, path, $"column types are start_at {reader.GetString(3)}, period_ticks {reader.GetString(5)}, etag {reader.GetString(7)}");
        long startTicks = reader.GetInt64(2);
        if (startTicks < DateTime.MinValue.Ticks || startTicks > DateTime.MaxValue.Ticks)
            throw Corrupt(id, name, path, $"start_at {startTicks} is not a valid time");
        long periodTicks = reader.GetInt64(4);
        if (periodTicks < 0) throw Corrupt(id, name, path, $"period_ticks {periodTicks} is negative");
        GrainId grainId;
        try
        {
            grainId = GrainId.Parse(id, null);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw Corrupt(id, name, path, $"grain_id is not a grain id ({e.Message})");
        }
        return new ReminderEntry
        {
            GrainId = grainId,
            ReminderName = name,
            StartAt = new DateTime(startTicks, DateTimeKind.Utc),
            Period = TimeSpan.FromTicks(periodTicks),
            ETag = reader.GetString(6),
        };
    }

    private static InvalidDataException Corrupt(string grainId, string name, string path, string problem) =>
        new($"Stored reminder '{name}' of grain {grainId} in SQLite database '{path}' is invalid: {problem}. The row is left as it is.");
}
