using Imv.Grains.Interfaces.Twins;
using Microsoft.Data.Sqlite;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>Per twin and tag, one row per minute (by when the twin accepted the readings) of the recording: count, and
/// min, max and sum of the numbers, and the minute's last value. Kept by the recorder's writer as it commits (one
/// dictionary lookup per entry, a short scan per reading) and written when a minute ends, so a tag's history over a
/// day reads 1,440 rows instead of 86,400 entries. Not thread-safe: the writer's thread only.</summary>
internal sealed class MinuteRollup
{
    private readonly Dictionary<string, List<Slot>> _open = new(StringComparer.Ordinal);
    private readonly List<(string Twin, Slot Slot)> _finished = [];

    /// <summary>Minutes finished and not yet written.</summary>
    public int Pending => _finished.Count;

    /// <summary>Counts readings a twin accepted at <paramref name="ticks"/>.</summary>
    public void Add(string twin, long ticks, ReadOnlySpan<TagUpdate> readings)
    {
        long minute = ticks / TimeSpan.TicksPerMinute;
        if (!_open.TryGetValue(twin, out var slots)) _open[twin] = slots = [];
        foreach (ref readonly var r in readings)
        {
            var slot = Find(slots, r.Tag);
            if (slot is null) slots.Add(slot = new Slot(r.Tag) { Minute = minute });
            else if (slot.Minute != minute)
            {
                if (slot.Count > 0) _finished.Add((twin, slot.Copy()));
                slot.Reset(minute);
            }
            slot.Count++;
            slot.Last = r.Value;
            slot.LastTicks = r.SourceTimestamp.UtcTicks;
            if (r.Value.TryGetNumber(out double n) && double.IsFinite(n))
            {
                if (slot.Numbers++ == 0) { slot.Min = n; slot.Max = n; }
                else { slot.Min = Math.Min(slot.Min, n); slot.Max = Math.Max(slot.Max, n); }
                slot.Sum += n;
            }
        }
    }

    /// <summary>Ends every open minute before <paramref name="beforeMinute"/> (a twin gone quiet; or all at close).</summary>
    public void Close(long beforeMinute = long.MaxValue)
    {
        foreach (var (twin, slots) in _open)
            foreach (var slot in slots)
                if (slot.Count > 0 && slot.Minute < beforeMinute)
                {
                    _finished.Add((twin, slot.Copy()));
                    slot.Reset(slot.Minute);
                }
    }

    /// <summary>Writes the finished minutes in <paramref name="transaction"/> (a minute written again, after a restart of
    /// the recorder mid-minute, is merged with the row there).</summary>
    public void Write(SqliteConnection connection, SqliteTransaction transaction)
    {
        if (_finished.Count == 0) return;
        using var c = connection.CreateCommand();
        c.Transaction = transaction;
        c.CommandText = """
            INSERT INTO recording_minutes (twin, tag, minute, count, numbers, min, max, sum, last_ticks, last_value)
            VALUES ($twin, $tag, $minute, $count, $numbers, $min, $max, $sum, $lastTicks, $lastValue)
            ON CONFLICT (twin, tag, minute) DO UPDATE SET count = count + excluded.count, numbers = numbers + excluded.numbers,
              min = CASE WHEN numbers = 0 THEN excluded.min WHEN excluded.numbers = 0 THEN min ELSE min(min, excluded.min) END,
              max = CASE WHEN numbers = 0 THEN excluded.max WHEN excluded.numbers = 0 THEN max ELSE max(max, excluded.max) END,
              sum = sum + excluded.sum,
              last_value = CASE WHEN excluded.last_ticks >= last_ticks THEN excluded.last_value ELSE last_value END,
              last_ticks = max(last_ticks, excluded.last_ticks)
            """;
        var twin = c.Parameters.Add("$twin", SqliteType.Text);
        var tag = c.Parameters.Add("$tag", SqliteType.Text);
        var minute = c.Parameters.Add("$minute", SqliteType.Integer);
        var count = c.Parameters.Add("$count", SqliteType.Integer);
        var numbers = c.Parameters.Add("$numbers", SqliteType.Integer);
        var min = c.Parameters.Add("$min", SqliteType.Real);
        var max = c.Parameters.Add("$max", SqliteType.Real);
        var sum = c.Parameters.Add("$sum", SqliteType.Real);
        var lastTicks = c.Parameters.Add("$lastTicks", SqliteType.Integer);
        var lastValue = c.Parameters.Add("$lastValue", SqliteType.Blob);
        using var buffer = new MemoryStream();
        using var w = RecordingCodec.Writer(buffer);
        foreach (var (t, s) in _finished)
        {
            twin.Value = t;
            tag.Value = s.Tag;
            minute.Value = s.Minute;
            count.Value = s.Count;
            numbers.Value = s.Numbers;
            min.Value = s.Numbers > 0 ? s.Min : 0d;
            max.Value = s.Numbers > 0 ? s.Max : 0d;
            sum.Value = s.Sum;
            lastTicks.Value = s.LastTicks;
            buffer.SetLength(0);
            RecordingCodec.WriteValueOnly(w, s.Last);
            w.Flush();
            lastValue.Value = buffer.ToArray();
            c.ExecuteNonQuery();
        }
    }

    /// <summary>The finished minutes were committed.</summary>
    public void Written() => _finished.Clear();

    private static Slot? Find(List<Slot> slots, string tag)
    {
        // The same tag names arrive as the same string instances from one source: compare references first.
        foreach (var s in slots) if (ReferenceEquals(s.Tag, tag)) return s;
        foreach (var s in slots) if (string.Equals(s.Tag, tag, StringComparison.Ordinal)) return s;
        return null;
    }

    private sealed class Slot(string tag)
    {
        public string Tag { get; } = tag;
        public long Minute, Count, Numbers, LastTicks;
        public double Min, Max, Sum;
        public TagValue Last;

        public Slot Copy() => (Slot)MemberwiseClone();

        public void Reset(long minute)
        {
            Minute = minute;
            Count = Numbers = 0;
            Min = Max = Sum = 0;
        }
    }
}

/// <summary>A minute of a tag in the recording.</summary>
/// <param name="Start">The minute's start (UTC ticks; by when the twin accepted the readings).</param>
/// <param name="Count">Readings in the minute.</param>
/// <param name="Numbers">Of them, numeric.</param>
/// <param name="Min">Smallest number.</param>
/// <param name="Max">Largest number.</param>
/// <param name="Sum">Sum of the numbers.</param>
/// <param name="LastTicks">Source time of the last reading.</param>
/// <param name="Last">The last reading's value.</param>
public readonly record struct RecordedMinute(long Start, long Count, long Numbers, double Min, double Max, double Sum, long LastTicks, TagValue Last);
