using Imv.Persistence.Recording;
using Microsoft.Data.Sqlite;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>A plant recording opened read-only (a replay's source): the file is never written through it, so a
/// replay stopped half-way, or failing, leaves the recording exactly as it was.</summary>
public sealed class RecordingFile : IReplayRecording
{
    private readonly string _connectionString;
    private readonly TagNames _names = new();
    private readonly TagSchemas _schemas;
    private Dictionary<string, List<SpanEntry>>? _tail;

    /// <summary>Opens <paramref name="path"/> (which must exist) for reading.</summary>
    public RecordingFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FilePath = Path.GetFullPath(path);
        if (!File.Exists(FilePath)) throw new FileNotFoundException($"No recording at {FilePath}.", FilePath);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = FilePath, Mode = SqliteOpenMode.ReadOnly, Pooling = true, DefaultTimeout = 30 }.ToString();
        _schemas = new TagSchemas(id =>
        {
            using var c = Open();
            return SchemaTable.Find(c, id);
        });
    }

    /// <summary>The file.</summary>
    public string FilePath { get; }

    /// <inheritdoc />
    public string Location => FilePath;

    /// <summary>Whether anything is recorded for <paramref name="twinId"/> in [<paramref name="from"/>, <paramref name="to"/>).
    /// The rows the recorder had not put in a span yet are read at the first call (a replay opens the file after a flush).</summary>
    public bool HasEntries(string twinId, DateTimeOffset from, DateTimeOffset to)
    {
        using var c = Open();
        // The twin's spans, and the rows the recorder has not put in a span yet (it keeps those in memory): read once
        // for all the twins a replay plans.
        var tail = _tail ??= RecordingIndex.Tail(c);
        return RecordingIndex.Entries(c, FilePath, twinId, from.UtcTicks, to.UtcTicks - 1, tail.GetValueOrDefault(twinId)).Count > 0;
    }

    /// <summary>The first and last instants recorded (any twin); null when the recording is empty.</summary>
    public (DateTimeOffset First, DateTimeOffset Last)? Span()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        // The oldest and newest positions: the writer appends in time order, so these bound the recording cheaply.
        cmd.CommandText = "SELECT (SELECT at FROM recording ORDER BY position LIMIT 1), (SELECT at FROM recording ORDER BY position DESC LIMIT 1)";
        using var r = cmd.ExecuteReader();
        if (!r.Read() || r.IsDBNull(0)) return null;
        return (new DateTimeOffset(r.GetInt64(0), TimeSpan.Zero), new DateTimeOffset(r.GetInt64(1), TimeSpan.Zero));
    }

    /// <summary>Every entry recorded in [<paramref name="from"/>, <paramref name="to"/>) for the twins <paramref name="twins"/>
    /// admits, in recorded order (by position: per twin, the order the twin accepted them). A damaged entry throws
    /// <see cref="InvalidDataException"/> naming the file and position.</summary>
    public IEnumerable<RecordedEntry> Read(DateTimeOffset from, DateTimeOffset to, Func<string, bool> twins, CancellationToken cancellationToken = default)
    {
        foreach (var row in ReadRows(from, to, twins, cancellationToken)) yield return Decode(row);
    }

    /// <summary>The rows <see cref="Read"/> decodes, as stored: decode each with <see cref="Decode"/>, on any thread.</summary>
    public IEnumerable<RecordedRow> ReadRows(DateTimeOffset from, DateTimeOffset to, Func<string, bool> twins, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(twins);
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT position, twin, at, kind, data FROM recording WHERE at >= $from AND at < $to ORDER BY position";
        cmd.Parameters.AddWithValue("$from", from.UtcTicks);
        cmd.Parameters.AddWithValue("$to", to.UtcTicks);
        using var r = cmd.ExecuteReader();
        foreach (var row in RecordedRowReader.Read(r, twins, cancellationToken)) yield return row;
    }

    /// <summary>Decodes a row of this file (thread-safe; tag names and schemas shared across rows). A damaged entry throws
    /// <see cref="InvalidDataException"/> naming the file and position.</summary>
    public RecordedEntry Decode(RecordedRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return RecordingCodec.Decode(FilePath, row.TwinId, row.Position, row.AtTicks, row.Kind, row.Data, _schemas, _names);
    }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        return c;
    }
}
