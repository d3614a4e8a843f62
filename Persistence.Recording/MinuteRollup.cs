using Imv.Grains.Interfaces.Twins;

namespace Imv.Persistence.Recording;

/// <summary>Per twin and tag, one row per minute (by when the twin accepted the readings) of the recording: count, and
/// min, max and sum of the numbers, and the minute's last value. Kept by the recorder's writer as it commits, from the
/// encoded entries (no decoding into objects), and written when a minute ends, so a tag's history over a day reads
/// 1,440 rows instead of 86,400 entries. A twin's minutes are one array of structs (not an object per twin and tag),
/// its tags found by position first (a source sends its tags in the same order); a twin gone quiet is found through
/// the queue of the minutes twins were active in, not by walking every twin at every commit. A slot holds no reference
/// (a minute's last value is kept as its bits when it is a number or a boolean, in the twin's side array otherwise): the
/// GC never walks the slots (2,000,000 of them for 100,000 twins of 20 tags) and the writer stores no reference per
/// reading. Not thread-safe: the writer's thread only.</summary>
internal sealed class MinuteRollup
{
    // Every twin's minutes (each also reached from its RecordedTwin), for the close of all.
    private readonly List<TwinMinutes> _twins = [];
    private readonly Dictionary<string, int> _tagIds = new(StringComparer.Ordinal);
    private readonly List<string> _tags = [];
    private readonly List<byte[]> _tagBytes = [];
    // A twin's first entry of each minute, in commit order: the twins that may hold minutes to end.
    private readonly Queue<(int Minute, TwinMinutes Twin)> _active = new();
    // Finished minutes, encoded as their rows the moment they end (back to back in _rows, reused from commit to commit),
    // not kept as slots: at the end of a minute every twin's tags finish (2,000,000 slots of 72 bytes in the ingest bench,
    // a list that grew on the large object heap and stayed at its peak), and a row is about 45 bytes a tag.
    private readonly MemoryStream _rows = new();
    private readonly BinaryWriter _rowWriter;
    private readonly List<Row> _finished = [];
    private readonly List<(Slot Slot, TagValue Last)> _ending = [];

    private readonly TagSchemas? _schemas;

    /// <summary>A rollup of entries whose tag names of version 3 are in <paramref name="schemas"/>.</summary>
    public MinuteRollup(TagSchemas? schemas = null)
    {
        _schemas = schemas;
        _rowWriter = RecordingCodec.Writer(_rows);
    }

    /// <summary>Minute rows finished and not yet written.</summary>
    public int Pending => _finished.Count;

    /// <summary>Counts the readings of an encoded readings entry (<see cref="RecordingCodec"/>) a twin accepted at
    /// <paramref name="ticks"/>.</summary>
    public void Add(RecordedTwin twin, long ticks, ReadOnlySpan<byte> entry)
    {
        int minute = checked((int)(ticks / TimeSpan.TicksPerMinute));
        var cursor = new ReadingCursor(entry, ticks, _schemas);
        long count = cursor.Count;
        var t = twin.Minutes;
        if (t is null)
        {
            twin.Minutes = t = new TwinMinutes(twin.Id, (int)Math.Clamp(count, 4, 256));   // a source sends its tags together: no regrowth
            _twins.Add(t);
        }
        if (t.LastMinute != minute)
        {
            t.LastMinute = minute;
            _active.Enqueue((minute, t));
        }
        for (int i = 0; cursor.Next(); i++)
        {
            int index = FindSlot(t, i, cursor.Name);   // first: it may grow t.Slots
            ref var slot = ref t.Slots[index];
            if (slot.Minute != minute)
            {
                if (slot.Count > 0) _ending.Add((slot, t.Last(index)));
                slot.Reset(minute);
            }
            slot.Count++;
            slot.LastTicks = cursor.SourceTicks;
            var type = cursor.Type;
            slot.LastType = type;
            if (cursor.TryScalar(out long bits))
            {
                slot.LastBits = bits;
                if (t.Others is { } others) others[index] = default;
                double n = type == TagDataType.Double ? BitConverter.Int64BitsToDouble(bits) : bits;
                if (double.IsFinite(n))
                {
                    if (slot.Numbers++ == 0) { slot.Min = n; slot.Max = n; }
                    else { slot.Min = Math.Min(slot.Min, n); slot.Max = Math.Max(slot.Max, n); }
                    slot.Sum += n;
                }
            }
            else if (type == TagDataType.None) { if (t.Others is { } others) others[index] = default; }
            else (t.Others ??= new TagValue[t.Slots.Length])[index] = cursor.Value();
        }
        if (_ending.Count > 0) Finish(t.Twin);
    }

    /// <summary>Ends every open minute before <paramref name="beforeMinute"/> of the twins active before it (a twin
    /// gone quiet; or every twin's at close).</summary>
    public void Close(long beforeMinute = long.MaxValue)
    {
        if (beforeMinute == long.MaxValue)
        {
            _active.Clear();
            foreach (var t in _twins) Close(t, beforeMinute);
            return;
        }
        while (_active.TryPeek(out var a) && a.Minute < beforeMinute)
        {
            _active.Dequeue();
            Close(a.Twin, beforeMinute);
        }
    }

    private void Close(TwinMinutes t, long beforeMinute)
    {
        for (int i = 0; i < t.Count; i++)
        {
            ref var slot = ref t.Slots[i];
            if (slot.Count > 0 && slot.Minute < beforeMinute)
            {
                _ending.Add((slot, t.Last(i)));
                slot.Reset(slot.Minute);
            }
        }
        if (_ending.Count > 0) Finish(t.Twin);
    }

    /// <summary>Encodes the slots of <paramref name="twin"/> that just ended (<see cref="_ending"/>) as rows: one per
    /// minute among them (all one minute when the twin's tags came together), in the order they ended.</summary>
    private void Finish(string twin)
    {
        var w = _rowWriter;
        for (int start = 0; start < _ending.Count;)
        {
            int minute = _ending[start].Slot.Minute, end = start + 1;
            while (end < _ending.Count && _ending[end].Slot.Minute == minute) end++;
            w.Flush();
            int offset = (int)_rows.Position;
            w.Write(RecordingCodec.Version);
            w.Write7BitEncodedInt(end - start);
            for (int i = start; i < end; i++)
            {
                var (s, last) = _ending[i];
                var name = _tagBytes[s.Tag];
                w.Write7BitEncodedInt(name.Length);
                w.Write(name);
                w.Write7BitEncodedInt(s.Count);
                w.Write7BitEncodedInt(s.Numbers);
                w.Write(s.Numbers > 0 ? s.Min : 0d);
                w.Write(s.Numbers > 0 ? s.Max : 0d);
                w.Write(s.Sum);
                w.Write(s.LastTicks);
                RecordingCodec.WriteValueOnly(w, last);
            }
            w.Flush();
            _finished.Add(new Row(twin, minute, offset, (int)_rows.Position - offset));
            start = end;
        }
        _ending.Clear();
    }

    /// <summary>Hands the finished minutes to <paramref name="row"/>, one row per twin and minute with every tag's
    /// figures inside (the store's minute table, e.g. <c>recording_twin_minutes</c>; a row per twin, tag and minute was
    /// 2,000,000 random inserts a minute in the ingest bench). A twin's tags whose minute ended apart are rows of their
    /// own; a reader merges the parts of a minute (so does a minute written again after a restart of the recorder
    /// mid-minute). Call <see cref="Written"/> once the rows are committed.</summary>
    public void Write(MinuteRowSink row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var rows = _rows.GetBuffer();
        foreach (var r in _finished) row(r.Twin, r.Minute, rows.AsSpan(r.Offset, r.Length));
    }

    /// <summary>Merges a part of a minute into <paramref name="minutes"/> (a minute written in parts: a restart
    /// mid-minute; a tag whose minute ended apart from the twin's others).</summary>
    public static void Merge(SortedDictionary<long, RecordedMinute> minutes, RecordedMinute part)
    {
        ArgumentNullException.ThrowIfNull(minutes);
        if (!minutes.TryGetValue(part.Start, out var a)) { minutes[part.Start] = part; return; }
        minutes[part.Start] = new RecordedMinute(a.Start, a.Count + part.Count, a.Numbers + part.Numbers,
            a.Numbers == 0 ? part.Min : part.Numbers == 0 ? a.Min : Math.Min(a.Min, part.Min),
            a.Numbers == 0 ? part.Max : part.Numbers == 0 ? a.Max : Math.Max(a.Max, part.Max),
            a.Sum + part.Sum, Math.Max(a.LastTicks, part.LastTicks), part.LastTicks >= a.LastTicks ? part.Last : a.Last);
    }

    /// <summary>The figures of the tag named <paramref name="tag"/> (UTF-8) in a minute row written by <see cref="Write"/>;
    /// null when the row does not hold it.</summary>
    public static RecordedMinute? ReadTag(ReadOnlySpan<byte> data, ReadOnlySpan<byte> tag, long minute)
    {
        int p = 0;
        if (data.Length == 0 || data[p++] != RecordingCodec.Version) throw new InvalidDataException($"unknown minute row version {(data.Length == 0 ? -1 : data[0])}");
        long count = RecordingCodec.Read7(data, ref p);
        for (long i = 0; i < count; i++)
        {
            int length = checked((int)RecordingCodec.Read7(data, ref p));
            bool match = data.Slice(p, length).SequenceEqual(tag);
            p += length;
            long readings = RecordingCodec.Read7(data, ref p), numbers = RecordingCodec.Read7(data, ref p);
            var figures = data.Slice(p, 32);
            p += 32;
            var last = RecordingCodec.ReadValue(data, ref p);
            if (!match) continue;
            return new RecordedMinute(minute * TimeSpan.TicksPerMinute, readings, numbers,
                System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(figures),
                System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(figures[8..]),
                System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(figures[16..]),
                System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(figures[24..]), last);
        }
        return null;
    }

    /// <summary>The finished minutes were committed.</summary>
    public void Written()
    {
        _finished.Clear();
        _rowWriter.Flush();
        _rows.SetLength(0);
        // The buffer is kept for the next commit's rows, unless a burst (every twin's minute ending in one commit) grew
        // it past what a commit usually needs.
        if (_rows.Capacity > 16 << 20) _rows.Capacity = 1 << 20;
    }

    /// <summary>The slot of the tag named <paramref name="name"/> (UTF-8): the <paramref name="hint"/>-th first (the
    /// tag's place in the entry), then the others; added when the twin has none yet.</summary>
    private int FindSlot(TwinMinutes t, int hint, ReadOnlySpan<byte> name)
    {
        if (hint < t.Count && name.SequenceEqual(_tagBytes[t.Slots[hint].Tag])) return hint;
        for (int i = 0; i < t.Count; i++)
            if (name.SequenceEqual(_tagBytes[t.Slots[i].Tag])) return i;
        var tagName = System.Text.Encoding.UTF8.GetString(name);
        if (!_tagIds.TryGetValue(tagName, out int id))
        {
            _tagIds[tagName] = id = _tags.Count;
            _tags.Add(tagName);
            _tagBytes.Add(name.ToArray());
        }
        if (t.Count == t.Slots.Length)
        {
            Array.Resize(ref t.Slots, t.Count * 2);
            if (t.Others is not null) Array.Resize(ref t.Others, t.Slots.Length);
        }
        t.Slots[t.Count] = new Slot { Tag = id, Minute = int.MinValue };
        return t.Count++;
    }

    /// <summary>A finished minute's row: its twin and minute, where its bytes are in <see cref="_rows"/>.</summary>
    private readonly record struct Row(string Twin, int Minute, int Offset, int Length);

    /// <summary>A twin's open minutes, one slot per tag.</summary>
    internal sealed class TwinMinutes(string twin, int capacity)
    {
        public readonly string Twin = twin;
        public Slot[] Slots = new Slot[capacity];
        // The last values that are neither numbers nor booleans (strings, arrays), by slot; made for the first such.
        public TagValue[]? Others;
        public int Count;
        public int LastMinute = int.MinValue;

        /// <summary>The last value of slot <paramref name="index"/>'s minute.</summary>
        public TagValue Last(int index)
        {
            ref readonly var s = ref Slots[index];
            return s.LastType switch
            {
                TagDataType.Double => TagValue.FromDouble(BitConverter.Int64BitsToDouble(s.LastBits)),
                TagDataType.Integer => TagValue.FromInteger(s.LastBits),
                TagDataType.Boolean => TagValue.FromBoolean(s.LastBits != 0),
                _ => Others is { } others ? others[index] : TagValue.None,
            };
        }
    }

    /// <summary>A tag's open minute: 64 bytes, a cache line (a twin's tags are a few lines read in order), and no
    /// reference.</summary>
    internal struct Slot
    {
        public int Tag, Minute, Count, Numbers;   // minutes since year 1 fit an int until year 4083
        public long LastTicks;
        public double Min, Max, Sum;
        public long LastBits;                      // a number's or boolean's value (TwinMinutes.Last)
        public TagDataType LastType;

        public void Reset(int minute)
        {
            Minute = minute;
            Count = Numbers = 0;
            Min = Max = Sum = 0;
        }
    }
}

/// <summary>Receives a minute row: the twin, the minute (since year 1) and the row's bytes (valid during the call).</summary>
internal delegate void MinuteRowSink(string twin, long minute, ReadOnlySpan<byte> data);

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
