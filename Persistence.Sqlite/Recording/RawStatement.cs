using System.Text;
using Imv.Persistence.Recording;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>A prepared statement of the recording's writer, bound straight from spans through SQLite's own API: a
/// million readings a second are tens of thousands of rows a second (and two million minute rows when a minute
/// ends), and binding them as ADO.NET parameters cost an array copy per row and most of the writer's time. Runs inside
/// the transaction the writer began on the same connection. Parameters are numbered from 1 (<c>?1</c>, <c>?2</c>...).</summary>
internal sealed class RawStatement : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;
    private byte[] _text = new byte[256];

    public RawStatement(SqliteConnection connection, string sql)
    {
        _connection = connection;
        int rc = raw.sqlite3_prepare_v2(connection.Handle, sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, connection.Handle);
    }

    /// <summary>The recording's row insert: position, twin, at, kind, data.</summary>
    public static RawStatement RecordingInsert(SqliteConnection connection) =>
        new(connection, "INSERT INTO recording (position, twin, at, kind, data) VALUES (?1, ?2, ?3, ?4, ?5)");

    /// <summary>Binds <paramref name="value"/> as UTF-8 text (encoded into a buffer the statement keeps).</summary>
    public void Text(int index, string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max > _text.Length) _text = new byte[max];
        int n = Encoding.UTF8.GetBytes(value, _text);
        Check(raw.sqlite3_bind_text(_statement, index, _text.AsSpan(0, n)));
    }

    /// <summary>Binds UTF-8 text.</summary>
    public void Text(int index, ReadOnlySpan<byte> utf8) => Check(raw.sqlite3_bind_text(_statement, index, utf8));

    public void Int64(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    public void Double(int index, double value) => Check(raw.sqlite3_bind_double(_statement, index, value));

    public void Blob(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>Runs the statement with what is bound, and resets it for the next row.</summary>
    public void Run()
    {
        try
        {
            int rc = raw.sqlite3_step(_statement);
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    /// <summary>Appends one recording row (<see cref="RecordingInsert"/>).</summary>
    public void Insert(long position, string twinId, long at, int kind, ReadOnlySpan<byte> data)
    {
        Int64(1, position);
        Text(2, twinId);
        Int64(3, at);
        Int64(4, kind);
        Blob(5, data);
        Run();
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            raw.sqlite3_reset(_statement);
            SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
    }

    public void Dispose() => _statement.Dispose();
}
