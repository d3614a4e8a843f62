using Imv.Persistence.Recording;
using Microsoft.Data.Sqlite;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>Finds a twin's entries through the recording's spans (<see cref="TwinSpans"/>, <c>recording_spans</c>) and
/// reads them by position: the reading side shared by the recorder (which adds the spans still in its memory) and a
/// recording opened read-only (which reads the rows no span holds yet from <c>recording_state.unindexed_from</c> on).</summary>
internal static class RecordingIndex
{
    /// <summary>The entries of <paramref name="twin"/> with an instant in [<paramref name="fromTicks"/>,
    /// <paramref name="toTicks"/>], in recorded order (instant, then position), each once.</summary>
    public static List<SpanEntry> Entries(SqliteConnection c, string file, string twin, long fromTicks, long toTicks, List<SpanEntry>? memory)
    {
        var into = new List<SpanEntry>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT rowid, first_position, min_at, data FROM recording_spans WHERE twin = $twin AND min_at >= $lo AND min_at <= $to";
            cmd.Parameters.AddWithValue("$twin", twin);
            cmd.Parameters.AddWithValue("$lo", Lower(fromTicks));
            cmd.Parameters.AddWithValue("$to", toTicks);
            using var r = cmd.ExecuteReader();
            while (r.Read()) DecodeRow(file, twin, r, into);
        }
        if (memory is not null) into.AddRange(memory);
        into.RemoveAll(e => e.Ticks < fromTicks || e.Ticks > toTicks);
        return Ordered(into);
    }

    /// <summary>The entries of <paramref name="twin"/> with an instant in [<paramref name="fromTicks"/>,
    /// <paramref name="toTicks"/>], newest first, read a batch of spans at a time (a twin as it was at an instant stops
    /// reading once every tag is found).</summary>
    public static IEnumerable<SpanEntry> Newest(Func<SqliteConnection> open, string file, string twin, long fromTicks, long toTicks, List<SpanEntry>? memory)
    {
        var seen = new HashSet<long>();
        var batch = new List<SpanEntry>();
        if (memory is not null)
        {
            foreach (var e in memory) if (e.Ticks >= fromTicks && e.Ticks <= toTicks) batch.Add(e);
            foreach (var e in Descending(batch)) if (seen.Add(e.Position)) yield return e;
        }
        // Newest first by (start, row), a batch at a time, each batch after the last one's oldest (start, row).
        long upperTicks = toTicks, upperRow = long.MaxValue;
        int take = 4;
        while (true)
        {
            batch.Clear();
            int rows = 0;
            using (var c = open())
            using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = """
                    SELECT rowid, first_position, min_at, data FROM recording_spans
                    WHERE twin = $twin AND min_at >= $lo AND (min_at < $upAt OR (min_at = $upAt AND rowid < $upRow))
                    ORDER BY min_at DESC, rowid DESC LIMIT $take
                    """;
                cmd.Parameters.AddWithValue("$twin", twin);
                cmd.Parameters.AddWithValue("$lo", Lower(fromTicks));
                cmd.Parameters.AddWithValue("$upAt", upperTicks);
                cmd.Parameters.AddWithValue("$upRow", upperRow);
                cmd.Parameters.AddWithValue("$take", take);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    rows++;
                    upperRow = r.GetInt64(0);
                    upperTicks = r.GetInt64(2);
                    DecodeRow(file, twin, r, batch);
                }
            }
            batch.RemoveAll(e => e.Ticks < fromTicks || e.Ticks > toTicks);
            foreach (var e in Descending(batch)) if (seen.Add(e.Position)) yield return e;
            if (rows < take) yield break;
            take = Math.Min(take * 4, 256);
        }
    }

    /// <summary>The first and last instants recorded for <paramref name="twin"/>; null when none.</summary>
    public static (long First, long Last)? Range(SqliteConnection c, string twin, List<SpanEntry>? memory)
    {
        long first = long.MaxValue, last = long.MinValue;
        using (var cmd = c.CreateCommand())
        {
            // The first span's start, and the latest end among the last spans to start (a span is at most a width long):
            // two short walks of the twin's index instead of all its spans.
            cmd.CommandText = """
                SELECT (SELECT min_at FROM recording_spans WHERE twin = $twin ORDER BY min_at LIMIT 1),
                       (SELECT max(max_at) FROM (SELECT max_at FROM recording_spans WHERE twin = $twin ORDER BY min_at DESC LIMIT 16))
                """;
            cmd.Parameters.AddWithValue("$twin", twin);
            using var r = cmd.ExecuteReader();
            if (r.Read() && !r.IsDBNull(0)) { first = r.GetInt64(0); last = r.GetInt64(1); }
        }
        if (memory is not null)
            foreach (var e in memory) { first = Math.Min(first, e.Ticks); last = Math.Max(last, e.Ticks); }
        return first == long.MaxValue ? null : (first, last);
    }

    /// <summary>The rows no span holds yet, by twin (a recording read while its recorder runs, which keeps the spans
    /// of the last minute or so in memory; or left by a crash): one pass over them.</summary>
    public static Dictionary<string, List<SpanEntry>> Tail(SqliteConnection c)
    {
        var tail = new Dictionary<string, List<SpanEntry>>(StringComparer.Ordinal);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT position, twin, at, kind FROM recording WHERE position >= coalesce((SELECT unindexed_from FROM recording_state WHERE id = 1), 0)";
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var twin = r.GetString(1);
            if (!tail.TryGetValue(twin, out var list)) tail[twin] = list = [];
            list.Add(new SpanEntry(r.GetInt64(0), r.GetInt64(2), r.GetInt32(3)));
        }
        return tail;
    }

    private static void DecodeRow(string file, string twin, SqliteDataReader r, List<SpanEntry> into)
    {
        try { SpanCodec.Decode((byte[])r.GetValue(3), r.GetInt64(1), r.GetInt64(2), into); }
        catch (Exception ex) when (ex is InvalidDataException or OverflowException)
        {
            throw new InvalidDataException($"Recording {file}: the span row {r.GetInt64(0)} (twin '{twin}') is damaged: {ex.Message}", ex);
        }
    }

    private static long Lower(long fromTicks) => fromTicks - SpanCodec.Width.Ticks < fromTicks ? fromTicks - SpanCodec.Width.Ticks : long.MinValue;

    private static List<SpanEntry> Ordered(List<SpanEntry> entries)
    {
        entries.Sort(static (a, b) => a.Ticks != b.Ticks ? a.Ticks.CompareTo(b.Ticks) : a.Position.CompareTo(b.Position));
        int w = 0;
        for (int i = 0; i < entries.Count; i++)
            if (w == 0 || entries[i].Position != entries[w - 1].Position) entries[w++] = entries[i];
        entries.RemoveRange(w, entries.Count - w);
        return entries;
    }

    private static List<SpanEntry> Descending(List<SpanEntry> entries)
    {
        entries.Sort(static (a, b) => a.Ticks != b.Ticks ? b.Ticks.CompareTo(a.Ticks) : b.Position.CompareTo(a.Position));
        return entries;
    }

    /// <summary>Reads rows of the recording by position (one prepared statement for many).</summary>
    internal sealed class Rows : IDisposable
    {
        private readonly SqliteCommand _cmd;
        private readonly SqliteParameter _position;

        public Rows(SqliteConnection c, bool withData = true)
        {
            _cmd = c.CreateCommand();
            _cmd.CommandText = withData ? "SELECT at, kind, data FROM recording WHERE position = $p" : "SELECT at, kind FROM recording WHERE position = $p";
            _position = _cmd.Parameters.Add("$p", SqliteType.Integer);
            _cmd.Prepare();
        }

        /// <summary>The row at <paramref name="position"/>; false when retention deleted it (a span may outlive some of its
        /// entries when the size limit deletes the oldest).</summary>
        public bool TryRead(long position, out long at, out int kind, out byte[] data)
        {
            _position.Value = position;
            using var r = _cmd.ExecuteReader();
            if (!r.Read()) { at = 0; kind = 0; data = []; return false; }
            at = r.GetInt64(0);
            kind = r.GetInt32(1);
            data = r.FieldCount > 2 ? (byte[])r.GetValue(2) : [];
            return true;
        }

        public void Dispose() => _cmd.Dispose();
    }
}
