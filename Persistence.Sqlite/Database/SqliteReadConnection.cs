using Microsoft.Data.Sqlite;

namespace Imv.Persistence.Sqlite;

/// <summary>A read connection of a <see cref="SqliteDatabase"/> with its own cache of prepared commands.</summary>
internal sealed class SqliteReadConnection(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>The connection.</summary>
    public SqliteConnection Connection { get; } = connection;

    /// <summary>A prepared command for <paramref name="sql"/>, created on first use and reused.</summary>
    public SqliteCommand Command(string sql, params string[] parameterNames)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = SqliteDatabase.CreateCommand(Connection, sql, parameterNames);
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
