using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Imv.Persistence.Sqlite;

/// <summary>One SQLite database file shared by the grain storage and the reminder table: WAL journal, the
/// configured <c>synchronous</c> level, a busy timeout, and the schema of <see cref="SqliteSchema"/>. Writes go
/// through one writer connection (<see cref="ExecuteWrite{T}"/>, serialized); reads use a small pool of other
/// connections (<see cref="Read{T}"/>), which WAL lets run beside the writer.</summary>
internal sealed class SqliteDatabase : IDisposable
{
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Lock _writeLock = new();
    private readonly ConcurrentBag<SqliteReadConnection> _readers = [];
    private readonly Dictionary<string, SqliteCommand> _writeCommands = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    /// <summary>Opens (creating when missing) the database at <see cref="SqliteStorageOptions.Path"/> and brings its
    /// schema up to date. Throws <see cref="InvalidOperationException"/> naming the file when it cannot be used
    /// (written by the old runtime, by a newer release, or by another application).</summary>
    public SqliteDatabase(SqliteStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = SqliteStorageOptionsValidator.Problems(options, checkDirectory: false);
        if (problems.Count > 0) throw new ArgumentException($"Invalid SQLite storage options: {string.Join("; ", problems)}.", nameof(options));
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
            SqliteSchema.Recognize(_writer, Path); // before WAL mode is set: a refused file is left byte for byte
            Execute(_writer, "PRAGMA journal_mode=WAL;");
            SchemaVersion = SqliteSchema.Migrate(_writer, Path);
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

    /// <summary>The schema version of the file.</summary>
    public int SchemaVersion { get; }

    /// <summary>Runs <paramref name="work"/> on the writer connection, serialized with every other write.
    /// Commands from <see cref="WriteCommand"/> may be used inside it.</summary>
    public T ExecuteWrite<T>(Func<SqliteConnection, T> work)
    {
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
        if (!_writeCommands.TryGetValue(sql, out var command))
        {
            command = CreateCommand(_writer, sql, parameterNames);
            _writeCommands.Add(sql, command);
        }
        return command;
    }

    /// <summary>Runs <paramref name="work"/> on a pooled read connection.</summary>
    public T Read<T>(Func<SqliteReadConnection, T> work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_readers.TryTake(out var reader)) reader = new SqliteReadConnection(OpenConnection());
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
            // secure_delete=FAST: content a write replaces or deletes is zeroed when that costs no extra I/O, so an
            // erased record (an avatar's personal fields) does not linger in free space of the file.
            Execute(connection, $"PRAGMA busy_timeout={busyMs.ToString(CultureInfo.InvariantCulture)}; PRAGMA synchronous={synchronous}; PRAGMA cache_size=-32768; PRAGMA secure_delete=FAST;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
#pragma warning disable CA2100 // constant pragmas
        command.CommandText = sql;
#pragma warning restore CA2100
        command.ExecuteNonQuery();
    }
}
