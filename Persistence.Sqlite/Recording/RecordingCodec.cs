using System.Text;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>The binary form of a recording entry's data column: a version byte, then readings (count; tag,
/// quality, source ticks, sequence, value each) or one command transition. Compact and allocation-light because
/// twins hand over a million readings a second at full ingest: readings are encoded by <see cref="EntryEncoder"/>
/// (the same bytes a <see cref="BinaryWriter"/> writes), commands here.</summary>
internal static class RecordingCodec
{
    internal const byte Version = 1;
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

    public static TagUpdate[] ReadReadings(BinaryReader r)
    {
        CheckVersion(r);
        int count = r.Read7BitEncodedInt();
        if (count < 0 || count > 1_000_000) throw new InvalidDataException($"implausible reading count {count}");
        var updates = new TagUpdate[count];
        for (int i = 0; i < count; i++)
        {
            string tag = r.ReadString();
            var quality = (TagQuality)r.ReadByte();
            var ts = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero);
            long seq = r.Read7BitEncodedInt64();
            updates[i] = new TagUpdate(tag, ReadValue(r), quality, ts, seq);
        }
        return updates;
    }

    /// <summary>The readings of a readings entry decoded from its bytes, tag names shared through <paramref name="names"/>
    /// (a replay reads every entry of a range: no reader object and no string per reading).</summary>
    public static TagUpdate[] ReadReadings(ReadOnlySpan<byte> data, TagNames names)
    {
        int p = 0;
        if (data.Length == 0 || data[p++] != Version) throw new InvalidDataException($"unknown entry version {(data.Length == 0 ? -1 : data[0])}");
        long count = Read7(data, ref p);
        if (count < 0 || count > 1_000_000) throw new InvalidDataException($"implausible reading count {count}");
        var updates = new TagUpdate[count];
        for (int i = 0; i < updates.Length; i++)
        {
            int length = checked((int)Read7(data, ref p));
            if (length < 0 || p + length + 1 + 8 > data.Length) throw new InvalidDataException("entry ends inside a reading");
            string tag = names.Get(data.Slice(p, length));
            p += length;
            var quality = (TagQuality)data[p++];
            var ts = new DateTimeOffset(System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(data.Slice(p, 8)), TimeSpan.Zero);
            p += 8;
            long seq = Read7(data, ref p);
            if (p >= data.Length) throw new InvalidDataException("entry ends inside a reading");
            var value = ReadValue(data, ref p);
            updates[i] = new TagUpdate(tag, value, quality, ts, seq);
        }
        if (p != data.Length) throw new InvalidDataException($"{data.Length - p} bytes after the last reading");
        return updates;
    }

    public static RecordedCommand ReadCommand(BinaryReader r)
    {
        CheckVersion(r);
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
    public static TagValue ReadValueOnly(byte[] data) => ReadValue(new BinaryReader(new MemoryStream(data, writable: false)));

    private static void CheckVersion(BinaryReader r)
    {
        byte v = r.ReadByte();
        if (v != Version) throw new InvalidDataException($"unknown entry version {v}");
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

    /// <summary>Decodes one row of the recording. Throws <see cref="InvalidDataException"/> naming the file and
    /// position of a damaged entry: never skipped silently.</summary>
    public static RecordedEntry Decode(string file, string twinId, long position, long at, int kind, byte[] data, TagNames? names = null)
    {
        try
        {
            var when = new DateTimeOffset(at, TimeSpan.Zero);
            if (kind == ReadingsKind && names is not null) return new RecordedEntry(position, twinId, when, ReadReadings(data, names), null);
            using var br = new BinaryReader(new MemoryStream(data, writable: false));
            return kind switch
            {
                ReadingsKind => new RecordedEntry(position, twinId, when, ReadReadings(br), null),
                CommandKind => new RecordedEntry(position, twinId, when, [], ReadCommand(br)),
                _ => throw new InvalidDataException($"unknown entry kind {kind}"),
            };
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException or ArgumentException)
        {
            throw new InvalidDataException($"Recording {file}: the entry at position {position} (twin '{twinId}') is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>Appends to <paramref name="into"/> the readings of one tag (its name in UTF-8) found in a readings entry,
    /// without decoding the others (a tag's history reads every entry of a day: decoding each reading would dominate).</summary>
    public static void ReadTag(ReadOnlySpan<byte> data, ReadOnlySpan<byte> tag, List<(long SourceTicks, TagValue Value)> into)
    {
        int p = 0;
        if (data.Length == 0 || data[p++] != Version) throw new InvalidDataException($"unknown entry version {(data.Length == 0 ? -1 : data[0])}");
        long count = Read7(data, ref p);
        if (count < 0 || count > 1_000_000) throw new InvalidDataException($"implausible reading count {count}");
        for (long i = 0; i < count; i++)
        {
            int length = checked((int)Read7(data, ref p));
            bool match = data.Slice(p, length).SequenceEqual(tag);
            p += length + 1;   // the name, the quality
            long ticks = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(data.Slice(p, 8));
            p += 8;
            Read7(data, ref p);   // the sequence
            if (match)
            {
                into.Add((ticks, ReadValue(data, ref p)));
                continue;
            }
            var type = (TagDataType)data[p++];
            SkipValue(data, type, ref p);
        }
    }

    internal static void SkipValue(ReadOnlySpan<byte> data, TagDataType type, ref int p)
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
        if (p > data.Length) throw new InvalidDataException("entry ends inside a value");
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
        int start = p;
        SkipValue(data, type, ref p);
        return type switch
        {
            TagDataType.None => TagValue.None,
            TagDataType.Boolean => TagValue.FromBoolean(data[start] != 0),
            TagDataType.Integer => TagValue.FromInteger(System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(data.Slice(start, 8))),
            TagDataType.Double => TagValue.FromDouble(System.Buffers.Binary.BinaryPrimitives.ReadDoubleLittleEndian(data.Slice(start, 8))),
            _ => ReadValue(new BinaryReader(new MemoryStream(data.Slice(start - 1, p - start + 1).ToArray()))),
        };
    }

    /// <summary>A UTF-8 writer over <paramref name="stream"/> that leaves it open.</summary>
    public static BinaryWriter Writer(Stream stream) => new(stream, Encoding.UTF8, leaveOpen: true);
}
