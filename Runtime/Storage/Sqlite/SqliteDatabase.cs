using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Imv.Runtime.Storage.Sqlite;

/// <summary>One SQLite database file shared by the grain storage and the reminder table: WAL journal, the
/// configured <c>synchronous</c> level, a busy timeout, and a <c>schema_version</c> table driving ordered
/// migrations. Writes go through one writer connection (<see cref="ExecuteWrite{T}"/>, serialized); reads use
/// a small pool of other connections (<see cref="Read{T}"/>), which WAL lets run beside the writer.</summary>
public sealed class SqliteDatabase : IDisposable
{
    /// <summary>The schema migrations, in order. A migration never changes once released; add a new one instead.</summary>
    private static readonly (int Version, string Description, string Sql)[] Migrations =
    [
        (1, "grain_state", """
            CREATE TABLE grain_state (
                state_name TEXT NOT NULL,
                grain_type TEXT NOT NULL,
                grain_key  TEXT NOT NULL,
                data       BLOB,
                etag       INTEGER,
                epoch      INTEGER,
                updated_at INTEGER,
                PRIMARY KEY (state_name, grain_type, grain_key));
            """),
        (2, "reminders", """
            CREATE TABLE reminders (
                grain_type   TEXT NOT NULL,
                grain_key    TEXT NOT NULL,
                name         TEXT NOT NULL,
                start_at     INTEGER NOT NULL,
                period_ticks INTEGER NOT NULL,
                etag         TEXT NOT NULL,
                PRIMARY KEY (grain_type, grain_key, name));
            """),
        (3, "cluster_generation", """
            CREATE TABLE cluster_generation (
                id         INTEGER PRIMARY KEY CHECK (id = 1),
                generation INTEGER NOT NULL);
            """),
    ];

    /// <summary>The newest schema version this code knows.</summary>
    public static int LatestSchemaVersion => Migrations[^1].Version;

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Lock _writeLock = new();
    private readonly ConcurrentBag<ReadConnection> _readers = [];
    private readonly Dictionary<string, SqliteCommand> _writeCommands = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    /// <summary>Opens (creating when missing) the database at <see cref="SqliteStorageOptions.Path"/> and applies
    /// the migrations it lacks. Throws <see cref="InvalidOperationException"/> when the file's schema is newer
    /// than this code.</summary>
    public SqliteDatabase(SqliteStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Path = System.IO.Path.GetFullPath(options.Path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();
        _writer = OpenConnection();
        try
        {
            Execute(_writer, "PRAGMA journal_mode=WAL;");
            Migrate();
        }
        catch
        {
            _writer.Dispose();
            throw;
        }
    }

    /// <summary>The settings it was opened with.</summary>
    public SqliteStorageOptions Options { get; }

    /// <summary>The full path of the database file.</summary>
    public string Path { get; }

    /// <summary>The schema version stored in the file.</summary>
    public int SchemaVersion { get; private set; }

    /// <summary>Runs <paramref name="work"/> on the writer connection, serialized with every other write.
    /// Commands from <see cref="WriteCommand"/> may be used inside it.</summary>
    public T ExecuteWrite<T>(Func<SqliteConnection, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        lock (_writeLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return work(_writer);
        }
    }

    /// <summary>A prepared command on the writer connection, created once per SQL text and reused. Use only
    /// inside <see cref="ExecuteWrite{T}"/>; set its parameters' values and its transaction before each use.</summary>
    public SqliteCommand WriteCommand(string sql, params string[] parameterNames)
    {
        ArgumentNullException.ThrowIfNull(sql);
        ArgumentNullException.ThrowIfNull(parameterNames);
        if (!_writeCommands.TryGetValue(sql, out var command))
        {
            command = CreateCommand(_writer, sql, parameterNames);
            _writeCommands.Add(sql, command);
        }
        return command;
    }

    /// <summary>Runs <paramref name="work"/> on a pooled read connection; <see cref="ReadConnection.Command"/>
    /// gives prepared commands cached per connection.</summary>
    public T Read<T>(Func<ReadConnection, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_readers.TryTake(out var reader)) reader = new ReadConnection(OpenConnection());
        try
        {
            return work(reader);
        }
        finally
        {
            if (_disposed || _readers.Count >= Environment.ProcessorCount * 2) reader.Dispose();
            else _readers.Add(reader);
        }
    }

    /// <summary>Closes every connection. Owners (the storage and reminder table) flush their writes first.</summary>
    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var command in _writeCommands.Values) command.Dispose();
            _writeCommands.Clear();
            _writer.Dispose();
        }
        while (_readers.TryTake(out var reader)) reader.Dispose();
    }

    internal static SqliteCommand CreateCommand(SqliteConnection connection, string sql, string[] parameterNames)
    {
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // SQL text comes from this assembly's constants, never from input
        command.CommandText = sql;
#pragma warning restore CA2100
        foreach (var name in parameterNames) command.Parameters.Add(new SqliteParameter(name, null));
        command.Prepare();
        return command;
    }

    private SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            string synchronous = Options.Synchronous == SqliteSynchronousMode.Full ? "FULL" : "NORMAL";
            long busyMs = (long)Options.BusyTimeout.TotalMilliseconds;
            Execute(connection, $"PRAGMA busy_timeout={busyMs.ToString(CultureInfo.InvariantCulture)}; PRAGMA synchronous={synchronous}; PRAGMA cache_size=-32768;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void Migrate()
    {
        Execute(_writer, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);");
        using var transaction = _writer.BeginTransaction(deferred: false);
        int current;
        using (var command = _writer.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version;";
            current = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
        if (current > LatestSchemaVersion)
            throw new InvalidOperationException(
                $"SQLite database '{Path}' has schema version {current}, newer than this code knows (version {LatestSchemaVersion}). " +
                "It was written by a newer release: run that release, or point the storage at another file.");
        foreach (var (version, description, sql) in Migrations)
        {
            if (version <= current) continue;
            using var command = _writer.CreateCommand();
            command.Transaction = transaction;
#pragma warning disable CA2100 // migration SQL is a constant of this class
            command.CommandText = sql;
#pragma warning restore CA2100
            command.ExecuteNonQuery();
            command.CommandText = "INSERT INTO schema_version (version, description, applied_at) VALUES ($v, $d, $a);";
            command.Parameters.AddWithValue("$v", version);
            command.Parameters.AddWithValue("$d", description);
            command.Parameters.AddWithValue("$a", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            command.ExecuteNonQuery();
            current = version;
        }
        transaction.Commit();
        SchemaVersion = current;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // constant pragmas
        command.CommandText = sql;
#pragma warning restore CA2100
        command.ExecuteNonQuery();
    }

    /// <summary>A read connection with its own cache of prepared commands.</summary>
    public sealed class ReadConnection : IDisposable
    {
        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

        internal ReadConnection(SqliteConnection connection) => Connection = connection;

        /// <summary>The connection.</summary>
        public SqliteConnection Connection { get; }

        /// <summary>A prepared command for <paramref name="sql"/>, created on first use and reused.</summary>
        public SqliteCommand Command(string sql, params string[] parameterNames)
        {
            ArgumentNullException.ThrowIfNull(sql);
            ArgumentNullException.ThrowIfNull(parameterNames);
            if (!_commands.TryGetValue(sql, out var command))
            {
                command = CreateCommand(Connection, sql, parameterNames);
                _commands.Add(sql, command);
            }
            return command;
        }

        /// <inheritdoc />
        public void Dispose()
        {
            foreach (var command in _commands.Values) command.Dispose();
            Connection.Dispose();
        }
    }
}
