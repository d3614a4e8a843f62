using System.Buffers.Binary;
using System.Text;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Persistence.Recording;

/// <summary>Encodes a readings entry in the recording's binary form (<see cref="RecordingCodec"/>, version 3 or 2) into a
/// buffer it reuses.
/// One per thread: a twin's turn encodes its accepted readings here without allocating, and the recorder copies the
/// bytes into its queue (a few hundred bytes instead of an array of readings the GC must trace until the commit).</summary>
internal sealed class EntryEncoder
{
    [ThreadStatic] private static EntryEncoder? _current;

    private byte[] _buffer = new byte[4096];
    private int[] _indexes = new int[64];
    private int _length;

    /// <summary>The calling thread's encoder.</summary>
    public static EntryEncoder Current => _current ??= new EntryEncoder();

    /// <summary>The bytes of the last entry encoded.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Encodes the readings of <paramref name="updates"/> marked in <paramref name="accepted"/> (empty: all),
    /// <paramref name="count"/> of them, accepted at <paramref name="atTicks"/>: as version 3 (names by index into the
    /// twin's schema, made or extended in <paramref name="schemas"/> and kept on <paramref name="twin"/>) when that is
    /// smaller, else as version 2 (names spelled).</summary>
    public void EncodeReadings(ReadOnlySpan<TagUpdate> updates, ReadOnlySpan<bool> accepted, int count, long atTicks, RecordedTwin? twin = null, TagSchemas? schemas = null)
    {
        TagSchema? schema = twin is not null && schemas is not null && TryIndexes(updates, accepted, twin, schemas, out var indexed) ? indexed : null;
        _length = 0;
        if (schema is null) WriteByte(RecordingCodec.ReadingsVersion);
        else
        {
            WriteByte(RecordingCodec.IndexedReadingsVersion);
            if (_length + 16 > _buffer.Length) Grow(16);
            TagSchema.WriteId(schema.Id, _buffer.AsSpan(_length, 16));
            _length += 16;
        }
        Write7((uint)count);
        long ticks = atTicks, sequence = 0;
        int n = 0;
        for (int i = 0; i < updates.Length; i++)
        {
            if (!accepted.IsEmpty && !accepted[i]) continue;
            ref readonly var u = ref updates[i];
            var type = u.Value.DataType;
            int head = (byte)type | ((byte)u.Quality << 4);
            // Source time and sequence as zig-zag steps from the previous reading's: a message's readings share both (a
            // step of zero), and version 3 writes a flag instead of such a step.
            long t = u.SourceTimestamp.UtcTicks;
            bool timeStep = true, sequenceStep = true;
            if (schema is null) WriteString(u.Tag);
            else
            {
                Write7((uint)_indexes[n++]);
                timeStep = t != ticks;
                sequenceStep = u.Sequence != sequence;
                if (timeStep) head |= RecordingCodec.TimeStepFlag;
                if (sequenceStep) head |= RecordingCodec.SequenceStepFlag;
            }
            WriteByte((byte)head);
            if (timeStep) Write7(Zig(t - ticks));
            if (sequenceStep) Write7(Zig(u.Sequence - sequence));
            ticks = t;
            sequence = u.Sequence;
            WritePayload(u.Value, type);
        }
    }

    /// <summary>The index in the twin's schema of each accepted reading's tag, into <see cref="_indexes"/> (the schema
    /// extended when a name is new); false when the names are too short to be worth a schema's 16-byte id, a quality
    /// does not fit in two bits, or the schema cannot grow.</summary>
    private bool TryIndexes(ReadOnlySpan<TagUpdate> updates, ReadOnlySpan<bool> accepted, RecordedTwin twin, TagSchemas schemas, out TagSchema schema)
    {
        schema = null!;
        if (_indexes.Length < updates.Length) _indexes = new int[Math.Max(updates.Length, _indexes.Length * 2)];
        var current = twin.Schema;
        int n = 0, spelled = 0, hint = 0;
        List<string>? missing = null;
        for (int i = 0; i < updates.Length; i++)
        {
            if (!accepted.IsEmpty && !accepted[i]) continue;
            ref readonly var u = ref updates[i];
            if ((byte)u.Quality > 3) return false;
            spelled += u.Tag.Length;
            int index = current?.IndexOf(u.Tag, hint) ?? -1;
            if (index < 0) (missing ??= []).Add(u.Tag);
            _indexes[n++] = index;
            hint = index + 1;
        }
        // (An entry with more readings than a schema holds names is spelled at once, its names not even sorted.)
        if (spelled < 16 || n > TagSchema.MaxNames) return false;
        if (missing is not null)
        {
            current = schemas.Extend(current, missing);
            if (current is null) return false;
            twin.Schema = current;
            n = 0;
            for (int i = 0; i < updates.Length; i++)
            {
                if (!accepted.IsEmpty && !accepted[i]) continue;
                if (_indexes[n] < 0) _indexes[n] = current.IndexOf(updates[i].Tag, 0);
                n++;
            }
        }
        schema = current!;
        return true;
    }

    private static ulong Zig(long step) => (ulong)((step << 1) ^ (step >> 63));

    /// <summary>After the bytes were copied: a buffer grown past 1 MiB by an unusual entry is not kept by the thread.</summary>
    public void Release()
    {
        if (_buffer.Length > 1 << 20) _buffer = new byte[4096];
        if (_indexes.Length > 1 << 16) _indexes = new int[64];
        _length = 0;
    }

    private void WritePayload(TagValue v, TagDataType type)
    {
        switch (type)
        {
            case TagDataType.None: break;
            case TagDataType.Boolean: WriteByte(v.AsBoolean() ? (byte)1 : (byte)0); break;
            case TagDataType.Integer: WriteInt64(v.AsInteger()); break;
            case TagDataType.Double: WriteInt64(BitConverter.DoubleToInt64Bits(v.AsDouble())); break;
            case TagDataType.String: WriteString(v.AsString()); break;
            case TagDataType.BooleanArray: { var a = (bool[])v.AsArray(); Write7((uint)a.Length); foreach (var x in a) WriteByte(x ? (byte)1 : (byte)0); break; }
            case TagDataType.IntegerArray: { var a = (long[])v.AsArray(); Write7((uint)a.Length); foreach (var x in a) WriteInt64(x); break; }
            case TagDataType.DoubleArray: { var a = (double[])v.AsArray(); Write7((uint)a.Length); foreach (var x in a) WriteInt64(BitConverter.DoubleToInt64Bits(x)); break; }
            default: { var a = (string[])v.AsArray(); Write7((uint)a.Length); foreach (var x in a) WriteString(x); break; }
        }
    }

    private void WriteByte(byte b)
    {
        if (_length == _buffer.Length) Grow(1);
        _buffer[_length++] = b;
    }

    private void WriteInt64(long value)
    {
        if (_length + 8 > _buffer.Length) Grow(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    /// <summary>As <see cref="BinaryWriter.Write7BitEncodedInt64"/> (and, for values below 2^31, Write7BitEncodedInt).</summary>
    private void Write7(ulong value)
    {
        if (_length + 10 > _buffer.Length) Grow(10);
        while (value > 0x7F)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[_length++] = (byte)value;
    }

    /// <summary>As <see cref="BinaryWriter.Write(string)"/>: the UTF-8 length, 7-bit encoded, then the bytes.</summary>
    private void WriteString(string s)
    {
        int max = Encoding.UTF8.GetMaxByteCount(s.Length);
        if (_length + 5 + max > _buffer.Length) Grow(5 + max);
        // ASCII names (the usual tag) are as many bytes as chars: written after a one-byte length, a char at a time (a
        // tag name is a few chars: two library calls per name, a check and a copy, cost more than the loop).
        if (s.Length < 128)
        {
            var into = _buffer.AsSpan(_length + 1, s.Length);
            int i = 0;
            for (; i < s.Length; i++)
            {
                char c = s[i];
                if (c > 0x7F) break;
                into[i] = (byte)c;
            }
            if (i == s.Length)
            {
                _buffer[_length] = (byte)s.Length;
                _length += 1 + s.Length;
                return;
            }
        }
        int n = Encoding.UTF8.GetByteCount(s);
        Write7((uint)n);
        _length += Encoding.UTF8.GetBytes(s, _buffer.AsSpan(_length));
    }

    private void Grow(int needed) => Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + needed));
}
