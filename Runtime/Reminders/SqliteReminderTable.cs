using Imv.Runtime.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Imv.Runtime.Reminders;

/// <summary>Reminders in SQLite (table <c>reminders</c>, in the same file as the grain state, created by its own
/// migration). <c>start_at</c> holds UTC ticks, <c>period_ticks</c> the period's ticks; the ETag is a random
/// 128-bit value per upsert, so a removed and re-created reminder never gets an ETag it had before. Writes go
/// through the database's writer connection; each is its own (small) transaction.</summary>
public sealed class SqliteReminderTable : IReminderTable, IDisposable
{
    private const string Columns = "grain_type, grain_key, name, start_at, typeof(start_at), period_ticks, typeof(period_ticks), etag, typeof(etag)";
    private const string SelectAllSql = "SELECT " + Columns + " FROM reminders;";
    private const string SelectGrainSql = "SELECT " + Columns + " FROM reminders WHERE grain_type = $t AND grain_key = $k;";
    private const string SelectOneSql = "SELECT " + Columns + " FROM reminders WHERE grain_type = $t AND grain_key = $k AND name = $n;";
    private const string UpsertSql = """
        INSERT INTO reminders (grain_type, grain_key, name, start_at, period_ticks, etag) VALUES ($t, $k, $n, $s, $p, $e)
        ON CONFLICT (grain_type, grain_key, name) DO UPDATE SET start_at = excluded.start_at, period_ticks = excluded.period_ticks, etag = excluded.etag;
        """;
    private const string DeleteSql = "DELETE FROM reminders WHERE grain_type = $t AND grain_key = $k AND name = $n AND etag = $e;";
    private static readonly string[] NoParameters = [];
    private static readonly string[] GrainParameters = ["$t", "$k"];
    private static readonly string[] RowParameters = ["$t", "$k", "$n"];
    private static readonly string[] UpsertParameters = ["$t", "$k", "$n", "$s", "$p", "$e"];
    private static readonly string[] DeleteParameters = ["$t", "$k", "$n", "$e"];

    private readonly SqliteDatabase _database;
    private readonly bool _ownsDatabase;

    /// <summary>Opens its own database from <paramref name="options"/> (disposed with the table).</summary>
    public SqliteReminderTable(SqliteStorageOptions options) : this(new SqliteDatabase(options), ownsDatabase: true) { }

    /// <summary>Uses a shared database; it is disposed with the table only when <paramref name="ownsDatabase"/>.</summary>
    public SqliteReminderTable(SqliteDatabase database, bool ownsDatabase = false)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _ownsDatabase = ownsDatabase;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ReminderEntry>> ReadAllAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_database.Read(connection => ReadList(connection.Command(SelectAllSql, NoParameters))));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ReminderEntry>> ReadRowsAsync(GrainId grainId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_database.Read(connection =>
        {
            var command = connection.Command(SelectGrainSql, GrainParameters);
            command.Parameters[0].Value = grainId.Type;
            command.Parameters[1].Value = grainId.Key;
            return ReadList(command);
        }));
    }

    /// <inheritdoc />
    public Task<ReminderEntry?> ReadRowAsync(GrainId grainId, string reminderName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(_database.Read(connection =>
        {
            var command = connection.Command(SelectOneSql, RowParameters);
            SetRow(command, grainId, reminderName);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ReadEntry(reader) : null;
        }));
    }

    /// <inheritdoc />
    public Task<string> UpsertRowAsync(ReminderEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        cancellationToken.ThrowIfCancellationRequested();
        string eTag = Guid.NewGuid().ToString("N");
        _database.ExecuteWrite(_ =>
        {
            var command = _database.WriteCommand(UpsertSql, UpsertParameters);
            command.Transaction = null;
            SetRow(command, entry.GrainId, entry.ReminderName);
            command.Parameters[3].Value = entry.StartAt.UtcTicks;
            command.Parameters[4].Value = entry.Period.Ticks;
            command.Parameters[5].Value = eTag;
            return command.ExecuteNonQuery();
        });
        return Task.FromResult(eTag);
    }

    /// <inheritdoc />
    public Task<bool> RemoveRowAsync(GrainId grainId, string reminderName, string eTag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reminderName);
        ArgumentNullException.ThrowIfNull(eTag);
        cancellationToken.ThrowIfCancellationRequested();
        int removed = _database.ExecuteWrite(_ =>
        {
            var command = _database.WriteCommand(DeleteSql, DeleteParameters);
            command.Transaction = null;
            SetRow(command, grainId, reminderName);
            command.Parameters[3].Value = eTag;
            return command.ExecuteNonQuery();
        });
        return Task.FromResult(removed > 0);
    }

    /// <summary>Closes the database if this table owns it.</summary>
    public void Dispose()
    {
        if (_ownsDatabase) _database.Dispose();
    }

    private static void SetRow(SqliteCommand command, GrainId grainId, string name)
    {
        command.Parameters[0].Value = grainId.Type;
        command.Parameters[1].Value = grainId.Key;
        command.Parameters[2].Value = name;
    }

    private static IReadOnlyList<ReminderEntry> ReadList(SqliteCommand command)
    {
        var list = new List<ReminderEntry>();
        using var reader = command.ExecuteReader();
        while (reader.Read()) list.Add(ReadEntry(reader));
        return list;
    }

    private static ReminderEntry ReadEntry(SqliteDataReader reader)
    {
        var grainId = new GrainId(reader.GetString(0), reader.GetString(1));
        string name = reader.GetString(2);
        if (reader.GetString(4) != "integer" || reader.GetString(6) != "integer" || reader.GetString(8) != "text")
            throw Corrupt(grainId, name, $"column types are start_at {reader.GetString(4)}, period_ticks {reader.GetString(6)}, etag {reader.GetString(8)}");
        long startTicks = reader.GetInt64(3);
        if (startTicks < DateTime.MinValue.Ticks || startTicks > DateTime.MaxValue.Ticks)
            throw Corrupt(grainId, name, $"start_at {startTicks} is not a valid time");
        return new ReminderEntry(grainId, name, new DateTimeOffset(startTicks, TimeSpan.Zero), TimeSpan.FromTicks(reader.GetInt64(5)), reader.GetString(7));
    }

    private static InvalidDataException Corrupt(GrainId grainId, string name, string problem) =>
        new($"Stored reminder '{name}' of grain {grainId} is invalid: {problem}. The row is left as it is.");
}
