using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>The writer's prepared <c>INSERT</c> of one recording row, bound straight from the queue's bytes through
/// SQLite's own API: a million readings a second are tens of thousands of rows a second, and binding them as
/// ADO.NET parameters cost an array copy of each entry and most of the writer's time per row. Runs inside the
/// transaction the writer began on the same connection.</summary>
internal sealed class RecordingInsert : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;
    private byte[] _twin = new byte[256];

    public RecordingInsert(SqliteConnection connection)
    {
        _connection = connection;
        int rc = raw.sqlite3_prepare_v2(connection.Handle, "INSERT INTO recording (twin, at, kind, data) VALUES (?1, ?2, ?3, ?4)", out _statement);
        SqliteException.ThrowExceptionForRC(rc, connection.Handle);
    }

    /// <summary>Appends one row.</summary>
    public void Execute(string twinId, long at, int kind, ReadOnlySpan<byte> data)
    {
        int max = Encoding.UTF8.GetMaxByteCount(twinId.Length);
        if (max > _twin.Length) _twin = new byte[max];
        int n = Encoding.UTF8.GetBytes(twinId, _twin);
        try
        {
            Check(raw.sqlite3_bind_text(_statement, 1, _twin.AsSpan(0, n)));
            Check(raw.sqlite3_bind_int64(_statement, 2, at));
            Check(raw.sqlite3_bind_int(_statement, 3, kind));
            Check(raw.sqlite3_bind_blob(_statement, 4, data));
            int rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
    }

    public void Dispose() => _statement.Dispose();
}
