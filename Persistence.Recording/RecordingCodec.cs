using System.Buffers.Binary;
using System.Text;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Persistence.Recording;

/// <summary>The binary form of a recording entry's data column: a version byte, then readings or one command
/// transition. Readings, version 3 (written since session 12 when it is smaller than version 2): the 16-byte id of a
/// <see cref="TagSchema"/> (the recording stores each schema once), count; per reading the tag's index in the schema
/// (7-bit), one byte with the value type (low 4 bits), the quality (bits 4-5) and two flags (bit 6: a source time step
/// follows; bit 7: a sequence step follows; a step of zero is not written), the steps as in version 2, then the value's
/// bytes. Version 2 (written since session 7, still written for entries whose names are shorter than a schema id):
/// count; per reading the tag (UTF-8, 7-bit length), one byte with the value type (low 4 bits) and quality (high 4), the
/// source time as a zig-zag step from the previous reading's (the first's from when the twin accepted the entry), the
/// sequence as a zig-zag step from the previous reading's (the first's from 0), then the value's bytes. Version 1 (still
/// read): count; per reading the tag, quality byte, source ticks (8 bytes), sequence (7-bit), type byte, value: the
/// bytes a <see cref="BinaryWriter"/> writes. Commands are version 1. Compact because twins hand over a million readings
/// a second at full ingest and the bytes written are most of the recording's cost: readings are encoded by
/// <see cref="EntryEncoder"/>, commands here.</summary>
internal static class RecordingCodec
{
    /// <summary>Commands, and readings written before version 2.</summary>
    internal const byte Version = 1;
    /// <summary>Readings with their names spelled.</summary>
    internal const byte ReadingsVersion = 2;
    /// <summary>Readings with their names by index into a <see cref="TagSchema"/>.</summary>
    internal const byte IndexedReadingsVersion = 3;
    /// <summary>Version 3, in a reading's head byte: a source time step follows.</summary>
    internal const int TimeStepFlag = 0x40;
    /// <summary>Version 3, in a reading's head byte: a sequence step follows.</summary>
    internal const int SequenceStepFlag = 0x80;
    internal const int ReadingsKind = 0;
    internal const int CommandKind = 1;

    public static void WriteCommand(BinaryWriter w, CommandRecord record)
    {
        var e = record.Envelope;
        w.Write(Version);
        w.Write(e.CommandId);
        w.Write((byte)e.IssuerKind);
        w.Write(e.Issuer);
        WriteOptional(w, e.Tag);
        WriteOptional(w, e.Method);
        WriteValue(w, e.Payload);
        w.Write((byte)record.Status);
        WriteOptional(w, record.Reason);
    }

    /// <summary>The readings of a readings entry accepted at <paramref name="atTicks"/>, decoded from its bytes; names of
    /// version 3 from <paramref name="schemas"/>, spelled names shared through <paramref name="names"/> when given (a
    /// replay reads every entry of a range: no string per reading).</summary>
    public static TagUpdate[] ReadReadings(ReadOnlySpan<byte> data, long atTicks, TagSchemas? schemas, TagNames? names)
    {
        var cursor = new ReadingCursor(data, atTicks, schemas);
        var updates = new TagUpdate[cursor.Count];
        int i = 0;
        while (cursor.Next())
        {
            string tag = cursor.NameString ?? (names is not null ? names.Get(cursor.Name) : Encoding.UTF8.GetString(cursor.Name));
            updates[i++] = new TagUpdate(tag, cursor.Value(), cursor.Quality, new DateTimeOffset(cursor.SourceTicks, TimeSpan.Zero), cursor.Sequence);
        }
        return updates;
    }

    public static RecordedCommand ReadCommand(BinaryReader r)
    {
        byte v = r.ReadByte();
        if (v != Version) throw new InvalidDataException($"unknown entry version {v}");
        string id = r.ReadString();
        var kind = (IssuerKind)r.ReadByte();
        string issuer = r.ReadString();
        string? tag = ReadOptional(r), method = ReadOptional(r);
        var payload = ReadValue(r);
        var status = (CommandDeliveryStatus)r.ReadByte();
        return new RecordedCommand(id, kind, issuer, tag, method, payload, status, ReadOptional(r));
    }

    /// <summary>A value alone (a minute's last value).</summary>
    public static void WriteValueOnly(BinaryWriter w, TagValue value) => WriteValue(w, value);

    /// <summary>A value written by <see cref="WriteValueOnly"/>.</summary>
    public static TagValue ReadValueOnly(byte[] data)
    {
        int p = 0;
        return ReadValue(data, ref p);
    }

    private static void WriteOptional(BinaryWriter w, string? s)
    {
        w.Write(s is not null);
        if (s is not null) w.Write(s);
    }

    private static string? ReadOptional(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static void WriteValue(BinaryWriter w, TagValue v)
    {
        var type = v.DataType;
        w.Write((byte)type);
        switch (type)
        {
            case TagDataType.None: break;
            case TagDataType.Boolean: w.Write(v.AsBoolean()); break;
            case TagDataType.Integer: w.Write(v.AsInteger()); break;
            case TagDataType.Double: w.Write(v.AsDouble()); break;
            case TagDataType.String: w.Write(v.AsString()); break;
            case TagDataType.BooleanArray: { var a = (bool[])v.AsArray(); w.Write7BitEncodedInt(a.Length); foreach (var x in a) w.Write(x); break; }
            case TagDataType.IntegerArray: { var a = (long[])v.AsArray(); w.Write7BitEncodedInt(a.Length); foreach (var x in a) w.Write(x); break; }
            case TagDataType.DoubleArray: { var a = (double[])v.AsArray(); w.Write7BitEncodedInt(a.Length); foreach (var x in a) w.Write(x); break; }
            default: { var a = (string[])v.AsArray(); w.Write7BitEncodedInt(a.Length); foreach (var x in a) w.Write(x); break; }
        }
    }

    private static TagValue ReadValue(BinaryReader r)
    {
        var type = (TagDataType)r.ReadByte();
        return type switch
        {
            TagDataType.None => TagValue.None,
            TagDataType.Boolean => TagValue.FromBoolean(r.ReadBoolean()),
            TagDataType.Integer => TagValue.FromInteger(r.ReadInt64()),
            TagDataType.Double => TagValue.FromDouble(r.ReadDouble()),
            TagDataType.String => TagValue.FromString(r.ReadString()),
            TagDataType.BooleanArray => TagValue.FromArray(ReadArray(r, static r => r.ReadBoolean())),
            TagDataType.IntegerArray => TagValue.FromArray(ReadArray(r, static r => r.ReadInt64())),
            TagDataType.DoubleArray => TagValue.FromArray(ReadArray(r, static r => r.ReadDouble())),
            TagDataType.StringArray => TagValue.FromArray(ReadArray(r, static r => r.ReadString())),
            _ => throw new InvalidDataException($"unknown value type {(int)type}"),
        };
    }

    private static T[] ReadArray<T>(BinaryReader r, Func<BinaryReader, T> read)
    {
        int n = r.Read7BitEncodedInt();
        if (n < 0 || n > 10_000_000) throw new InvalidDataException($"implausible array length {n}");
        var a = new T[n];
        for (int i = 0; i < n; i++) a[i] = read(r);
        return a;
    }

    /// <summary>Decodes one row of the recording (names of version 3 from <paramref name="schemas"/>). Throws
    /// <see cref="InvalidDataException"/> naming the file and position of a damaged entry: never skipped silently.</summary>
    public static RecordedEntry Decode(string file, string twinId, long position, long at, int kind, byte[] data, TagSchemas? schemas, TagNames? names = null)
    {
        try
        {
            var when = new DateTimeOffset(at, TimeSpan.Zero);
            switch (kind)
            {
                case ReadingsKind: return new RecordedEntry(position, twinId, when, ReadReadings(data, at, schemas, names), null);
                case CommandKind:
                    using (var br = new BinaryReader(new MemoryStream(data, writable: false))) return new RecordedEntry(position, twinId, when, [], ReadCommand(br));
                default: throw new InvalidDataException($"unknown entry kind {kind}");
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"Recording {file}: the entry at position {position} (twin '{twinId}') is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>Appends to <paramref name="into"/> the readings of one tag (its name in UTF-8) found in a readings entry
    /// accepted at <paramref name="atTicks"/>, without decoding the others (a tag's history reads every entry of a day:
    /// decoding each reading would dominate); names of version 3 from <paramref name="schemas"/>.</summary>
    public static void ReadTag(ReadOnlySpan<byte> data, long atTicks, ReadOnlySpan<byte> tag, TagSchemas? schemas, List<(long SourceTicks, TagValue Value)> into)
    {
        var cursor = new ReadingCursor(data, atTicks, schemas);
        while (cursor.Next())
            if (cursor.Name.SequenceEqual(tag)) into.Add((cursor.SourceTicks, cursor.Value()));
    }

    /// <summary>Moves <paramref name="p"/> past a value of <paramref name="type"/>, checking that it ends inside
    /// <paramref name="data"/>. Numbers, nearly every reading, are skipped inline (the recorder's writer skips every value
    /// it reads); the other types by <see cref="SkipOtherValue"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    internal static void SkipValue(ReadOnlySpan<byte> data, TagDataType type, ref int p)
    {
        if (type is not (TagDataType.Double or TagDataType.Integer))
        {
            SkipOtherValue(data, type, ref p);
            return;
        }
        p += 8;
        if (p > data.Length) throw new InvalidDataException("entry ends inside a value");
    }

    private static void SkipOtherValue(ReadOnlySpan<byte> data, TagDataType type, ref int p)
    {
        switch (type)
        {
            case TagDataType.None: break;
            case TagDataType.Boolean: p += 1; break;
            case TagDataType.Integer or TagDataType.Double: p += 8; break;
            // (The length is read first: "p += Read7(ref p)" would add it to p as it was before the length.)
            case TagDataType.String or TagDataType.BooleanArray: { int n = checked((int)Read7(data, ref p)); p += n; break; }
            case TagDataType.IntegerArray or TagDataType.DoubleArray: { int n = checked((int)Read7(data, ref p) * 8); p += n; break; }
            case TagDataType.StringArray:
            {
                long n = Read7(data, ref p);
                for (long i = 0; i < n; i++) { int length = checked((int)Read7(data, ref p)); p += length; }
                break;
            }
            default: throw new InvalidDataException($"unknown value type {(int)type}");
        }
        if (p > data.Length || p < 0) throw new InvalidDataException("entry ends inside a value");
    }

    /// <summary>A 7-bit encoded integer as <see cref="BinaryWriter.Write7BitEncodedInt64"/> writes it.</summary>
    internal static long Read7(ReadOnlySpan<byte> data, ref int p)
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (p >= data.Length) throw new InvalidDataException("entry ends inside a number");
            byte b = data[p++];
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return (long)result;
        }
        throw new InvalidDataException("a number is too long");
    }

    /// <summary>The value (type byte, then data) at <paramref name="p"/>, moving past it: scalars without allocating.</summary>
    internal static TagValue ReadValue(ReadOnlySpan<byte> data, ref int p)
    {
        if (p >= data.Length) throw new InvalidDataException("entry ends before a value");
        var type = (TagDataType)data[p++];
        return ReadPayload(data, type, ref p);
    }

    /// <summary>A value of <paramref name="type"/> (its data, without the type) at <paramref name="p"/>, moving past it.</summary>
    internal static TagValue ReadPayload(ReadOnlySpan<byte> data, TagDataType type, ref int p)
    {
        int start = p;
        SkipValue(data, type, ref p);   // checks the bounds of all that follows
        var d = data[start..p];
        switch (type)
        {
            case TagDataType.None: return TagValue.None;
            case TagDataType.Boolean: return TagValue.FromBoolean(d[0] != 0);
            case TagDataType.Integer: return TagValue.FromInteger(BinaryPrimitives.ReadInt64LittleEndian(d));
            case TagDataType.Double: return TagValue.FromDouble(BinaryPrimitives.ReadDoubleLittleEndian(d));
            case TagDataType.String: { int q = 0; int n = checked((int)Read7(d, ref q)); return TagValue.FromString(Encoding.UTF8.GetString(d.Slice(q, n))); }
            case TagDataType.BooleanArray:
            {
                int q = 0; var a = new bool[checked((int)Read7(d, ref q))];
                for (int i = 0; i < a.Length; i++) a[i] = d[q + i] != 0;
                return TagValue.FromArray(a);
            }
            case TagDataType.IntegerArray:
            {
                int q = 0; var a = new long[checked((int)Read7(d, ref q))];
                for (int i = 0; i < a.Length; i++) a[i] = BinaryPrimitives.ReadInt64LittleEndian(d.Slice(q + i * 8, 8));
                return TagValue.FromArray(a);
            }
            case TagDataType.DoubleArray:
            {
                int q = 0; var a = new double[checked((int)Read7(d, ref q))];
                for (int i = 0; i < a.Length; i++) a[i] = BinaryPrimitives.ReadDoubleLittleEndian(d.Slice(q + i * 8, 8));
                return TagValue.FromArray(a);
            }
            default:
            {
                int q = 0; var a = new string[checked((int)Read7(d, ref q))];
                for (int i = 0; i < a.Length; i++) { int n = checked((int)Read7(d, ref q)); a[i] = Encoding.UTF8.GetString(d.Slice(q, n)); q += n; }
                return TagValue.FromArray(a);
            }
        }
    }

    /// <summary>A UTF-8 writer over <paramref name="stream"/> that leaves it open.</summary>
    public static BinaryWriter Writer(Stream stream) => new(stream, Encoding.UTF8, leaveOpen: true);
}
