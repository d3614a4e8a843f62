using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>A prepared statement of the recording's writer, bound straight from spans through SQLite's own C API: a
/// million readings a second are tens of thousands of rows a second, seven calls into SQLite each (five binds, a step,
/// a reset). Binding them as ADO.NET parameters cost an array copy per row and most of the writer's time; through
/// SQLitePCL's safe handles each call still took and released a reference on the statement's handle and left the
/// runtime's cooperative mode, a tenth of the writer's time. So the statement's handle is held once for the statement's
/// life and its binds call the library (the <c>e_sqlite3</c> that Microsoft.Data.Sqlite loads) directly. Runs inside the
/// transaction the writer began on the same connection, on the writer's thread only. Parameters are numbered from 1
/// (<c>?1</c>, <c>?2</c>...).</summary>
internal sealed partial class RawStatement : IDisposable
{
    private const string Library = "e_sqlite3";
    // SQLITE_TRANSIENT: SQLite copies what is bound before the bind returns (the caller's buffer is reused at once).
    private static readonly nint Transient = -1;

    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;
    private readonly nint _handle;
    private byte[] _text = new byte[256];
    private bool _referenced;

    public RawStatement(SqliteConnection connection, string sql)
    {
        _connection = connection;
        int rc = raw.sqlite3_prepare_v2(connection.Handle, sql, out _statement);
        SqliteException.ThrowExceptionForRC(rc, connection.Handle);
        // Held until Dispose: the raw handle below stays valid for every call in between.
        _statement.DangerousAddRef(ref _referenced);
        _handle = _statement.DangerousGetHandle();
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
        Text(index, _text.AsSpan(0, n));
    }

    /// <summary>Binds UTF-8 text.</summary>
    public unsafe void Text(int index, ReadOnlySpan<byte> utf8)
    {
        fixed (byte* p = utf8) Check(BindText(_handle, index, p == null ? (byte*)&index : p, utf8.Length, Transient));
    }

    public void Int64(int index, long value) => Check(BindInt64(_handle, index, value));

    public void Double(int index, double value) => Check(BindDouble(_handle, index, value));

    public unsafe void Blob(int index, ReadOnlySpan<byte> value)
    {
        // A null pointer would bind NULL, not an empty blob.
        fixed (byte* p = value) Check(BindBlob(_handle, index, p == null ? (byte*)&index : p, value.Length, Transient));
    }

    /// <summary>Runs the statement with what is bound, and resets it for the next row.</summary>
    public void Run()
    {
        int rc = Step(_handle);
        try
        {
            // The connection's message is the step's until the reset.
            if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
        finally
        {
            Reset(_handle);
        }
    }

    /// <summary>Appends one recording row (<see cref="RecordingInsert"/>); <paramref name="twinId"/> in UTF-8.</summary>
    public void Insert(long position, ReadOnlySpan<byte> twinId, long at, int kind, ReadOnlySpan<byte> data)
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
            Reset(_handle);
            SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
    }

    public void Dispose()
    {
        if (_referenced)
        {
            _referenced = false;
            _statement.DangerousRelease();
        }
        _statement.Dispose();
    }

    // Binds only copy memory (no I/O, no callbacks, no waiting on another connection): they run without the runtime's
    // transition. A step may read and write the file, and a reset may end what a failed step began: they keep it.
    [LibraryImport(Library, EntryPoint = "sqlite3_bind_int64")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl), typeof(CallConvSuppressGCTransition)])]
    private static partial int BindInt64(nint statement, int index, long value);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_double")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl), typeof(CallConvSuppressGCTransition)])]
    private static partial int BindDouble(nint statement, int index, double value);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_text")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl), typeof(CallConvSuppressGCTransition)])]
    private static unsafe partial int BindText(nint statement, int index, byte* text, int length, nint destructor);

    [LibraryImport(Library, EntryPoint = "sqlite3_bind_blob")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl), typeof(CallConvSuppressGCTransition)])]
    private static unsafe partial int BindBlob(nint statement, int index, byte* data, int length, nint destructor);

    [LibraryImport(Library, EntryPoint = "sqlite3_reset")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    private static partial int Reset(nint statement);

    [LibraryImport(Library, EntryPoint = "sqlite3_step")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvCdecl)])]
    private static partial int Step(nint statement);
}
