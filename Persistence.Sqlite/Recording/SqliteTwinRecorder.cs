using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>The plant recording on a SQLite file of its own: twins hand accepted readings and command transitions
/// to a bounded queue (encoded on the twin's turn into pooled chunks, no I/O and no allocation per entry); one writer
/// thread of its own gathers them for <see cref="RecordingOptions.FlushInterval"/> and appends them in one transaction
/// (group commit, WAL, synchronous=NORMAL). Order per twin is the order the twin handed them over. A full queue drops
/// new entries, counted in <see cref="TwinRecorderBase.Dropped"/> and logged at most every 10 s: never silently. The
/// write side is the shared <see cref="TwinRecorderBase"/> over <see cref="SqliteRecordingStore"/>; this class adds the
/// reads.</summary>
/// <remarks>Durable means: once committed (at most one flush interval after the twin accepted it) an entry survives
/// a process crash; an OS crash may lose the last commits (synchronous=NORMAL, like the write-behind journal's
/// default). The recording is not on the twin's acknowledgement path: the 15 % ingest budget rules out a disk
/// commit per reading, and a lost tail of the recording never loses a twin's state.</remarks>
public sealed class SqliteTwinRecorder : TwinRecorderBase, IRecordingReader, IHostedService
{
    private readonly SqliteRecordingStore _store;

    /// <summary>Opens (creating when missing) the recording at <see cref="RecordingOptions.Path"/> and starts its writer.</summary>
    public SqliteTwinRecorder(RecordingOptions options, ILogger<SqliteTwinRecorder> logger, TimeProvider? time = null)
        : this(SqliteRecordingStore.Open(options), options, logger, time)
    {
    }

    private SqliteTwinRecorder(SqliteRecordingStore store, RecordingOptions options, ILogger logger, TimeProvider? time)
        : base(store, options, store.FilePath, "imv-recording-writer", time, logger)
    {
        _store = store;
        StartWriter();
    }

    /// <summary>The recording's file.</summary>
    public string FilePath => _store.FilePath;

    /// <inheritdoc />
    public IReplayRecording OpenForReplay() => new RecordingFile(FilePath);

    // The interface's reads answer from the synchronous ones below (internal: readers outside use the interface, tests
    // the file's own): Microsoft.Data.Sqlite has no asynchronous I/O (its async methods run synchronously), and a local
    // file answers in microseconds to milliseconds. Callers on a grain's scheduler move them to the pool (TwinHistoryGrain).

    /// <inheritdoc />
    ValueTask<(DateTimeOffset First, DateTimeOffset Last)?> IRecordingReader.RangeAsync(string twinId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(Range(twinId));
    }

    /// <inheritdoc />
    async IAsyncEnumerable<RecordedEntry> IRecordingReader.ReadAsync(string twinId, DateTimeOffset from, DateTimeOffset to, bool newestFirst,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var entry in Read(twinId, from, to, newestFirst))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    ValueTask<List<(long SourceTicks, TagValue Value)>> IRecordingReader.ReadTagAsync(string twinId, string tag, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(ReadTag(twinId, tag, from, to));
    }

    /// <inheritdoc />
    ValueTask<List<RecordedMinute>> IRecordingReader.ReadMinutesAsync(string twinId, string tag, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return new(ReadMinutes(twinId, tag, from, to));
    }

    /// <summary>The first and last instants recorded for <paramref name="twinId"/>; null when nothing is.</summary>
    internal (DateTimeOffset First, DateTimeOffset Last)? Range(string twinId)
    {
        var memory = _store.Spans.Copy(twinId);
        using var c = OpenReader();
        return RecordingIndex.Range(c, twinId, memory) is { } r
            ? (new DateTimeOffset(r.First, TimeSpan.Zero), new DateTimeOffset(r.Last, TimeSpan.Zero))
            : null;
    }

    /// <summary>The entries of <paramref name="twinId"/> from <paramref name="from"/> to <paramref name="to"/>
    /// (inclusive), in recorded order; newest first when <paramref name="newestFirst"/>. Throws
    /// <see cref="InvalidDataException"/> naming the file and position of a damaged entry.</summary>
    internal IEnumerable<RecordedEntry> Read(string twinId, DateTimeOffset from, DateTimeOffset to, bool newestFirst = false)
    {
        // The spans in memory first, then the table's: a span written meanwhile is in both (dropped once), none in neither.
        var memory = _store.Spans.Copy(twinId);
        using var c = OpenReader();
        using var rows = new RecordingIndex.Rows(c);
        var entries = newestFirst
            ? RecordingIndex.Newest(OpenReader, FilePath, twinId, from.UtcTicks, to.UtcTicks, memory)
            : RecordingIndex.Entries(c, FilePath, twinId, from.UtcTicks, to.UtcTicks, memory);
        foreach (var e in entries)
            if (rows.TryRead(e.Position, out long at, out int kind, out var data))
                yield return RecordingCodec.Decode(FilePath, twinId, e.Position, at, kind, data, Schemas);
    }

    /// <summary>The readings of one tag of <paramref name="twinId"/> accepted from <paramref name="from"/> to
    /// <paramref name="to"/> (inclusive), in recorded order, as (source time, value): only that tag is decoded.
    /// Throws <see cref="InvalidDataException"/> naming the file and position of a damaged entry.</summary>
    internal List<(long SourceTicks, TagValue Value)> ReadTag(string twinId, string tag, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var name = System.Text.Encoding.UTF8.GetBytes(tag);
        var into = new List<(long, TagValue)>();
        var memory = _store.Spans.Copy(twinId);
        using var c = OpenReader();
        using var rows = new RecordingIndex.Rows(c);
        foreach (var e in RecordingIndex.Entries(c, FilePath, twinId, from.UtcTicks, to.UtcTicks, memory))
        {
            if (e.Kind != RecordingCodec.ReadingsKind || !rows.TryRead(e.Position, out long at, out _, out var data)) continue;
            try { RecordingCodec.ReadTag(data, at, name, Schemas, into); }
            catch (Exception ex) when (ex is InvalidDataException or ArgumentOutOfRangeException or OverflowException or EndOfStreamException)
            {
                throw new InvalidDataException($"Recording {FilePath}: the entry at position {e.Position} (twin '{twinId}') is damaged: {ex.Message}", ex);
            }
        }
        return into;
    }

    /// <summary>The minutes of one tag of <paramref name="twinId"/> starting in [<paramref name="from"/>, <paramref name="to"/>),
    /// in order (only minutes that ended: the current one is in the entries only). A minute written in parts (a
    /// restart mid-minute; a tag whose minute ended apart from the twin's others) is merged. Throws
    /// <see cref="InvalidDataException"/> naming the file and row of a damaged minute.</summary>
    internal List<RecordedMinute> ReadMinutes(string twinId, string tag, DateTimeOffset from, DateTimeOffset to)
    {
        long fromMinute = (from.UtcTicks + TimeSpan.TicksPerMinute - 1) / TimeSpan.TicksPerMinute, toMinute = to.UtcTicks / TimeSpan.TicksPerMinute;
        var minutes = new SortedDictionary<long, RecordedMinute>();
        using var c = OpenReader();
        using (var cmd = c.CreateCommand())
        {
            // One row per twin and minute, every tag inside (MinuteRollup); written since this layout.
            cmd.CommandText = "SELECT rowid, minute, data FROM recording_twin_minutes WHERE twin = $twin AND minute >= $from AND minute < $to ORDER BY minute, rowid";
            cmd.Parameters.AddWithValue("$twin", twinId);
            cmd.Parameters.AddWithValue("$from", fromMinute);
            cmd.Parameters.AddWithValue("$to", toMinute);
            var name = System.Text.Encoding.UTF8.GetBytes(tag);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                RecordedMinute? part;
                try { part = MinuteRollup.ReadTag((byte[])r.GetValue(2), name, r.GetInt64(1)); }
                catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ArgumentOutOfRangeException or OverflowException)
                {
                    throw new InvalidDataException($"Recording {FilePath}: the minute row {r.GetInt64(0)} (minute {r.GetInt64(1)} of twin '{twinId}') is damaged: {ex.Message}", ex);
                }
                if (part is { } m) MinuteRollup.Merge(minutes, m);
            }
        }
        using (var cmd = c.CreateCommand())
        {
            // One row per twin, tag and minute: recordings written before the layout above.
            cmd.CommandText = "SELECT minute, count, numbers, min, max, sum, last_ticks, last_value FROM recording_minutes WHERE twin = $twin AND tag = $tag AND minute >= $from AND minute < $to ORDER BY minute";
            cmd.Parameters.AddWithValue("$twin", twinId);
            cmd.Parameters.AddWithValue("$tag", tag);
            cmd.Parameters.AddWithValue("$from", fromMinute);
            cmd.Parameters.AddWithValue("$to", toMinute);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                TagValue last;
                try { last = RecordingCodec.ReadValueOnly((byte[])r.GetValue(7)); }
                catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException)
                {
                    throw new InvalidDataException($"Recording {FilePath}: the minute {r.GetInt64(0)} of tag '{tag}' of twin '{twinId}' is damaged: {ex.Message}", ex);
                }
                MinuteRollup.Merge(minutes, new RecordedMinute(r.GetInt64(0) * TimeSpan.TicksPerMinute, r.GetInt64(1), r.GetInt64(2), r.GetDouble(3), r.GetDouble(4), r.GetDouble(5), r.GetInt64(6), last));
            }
        }
        return [.. minutes.Values];
    }

    private SqliteConnection OpenReader()
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder(_store.ConnectionString) { Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString());
        c.Open();
        return c;
    }
}
