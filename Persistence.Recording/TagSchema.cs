using System.Buffers.Binary;
using System.Text;

namespace Imv.Persistence.Recording;

/// <summary>A list of tag names a readings entry refers to by index instead of spelling each name (entries of version 3,
/// <see cref="RecordingCodec"/>): a twin reports the same few tags all day, and names were a third of the bytes a reading
/// cost. Immutable; named by its content (<see cref="Id"/>: the first 128 bits of the SHA-256 of <see cref="Bytes"/>), so
/// twins of one kind share one schema, and silos writing one recording (a cluster on PostgreSQL) never disagree about
/// what an id means.</summary>
internal sealed class TagSchema
{
    /// <summary>Names a schema holds at most; a twin with more tags spells the rest in its entries (version 2).</summary>
    public const int MaxNames = 1024;

    private const byte FormatVersion = 1;
    private readonly Dictionary<string, int> _indexes;

    private TagSchema(UInt128 id, string[] names, byte[][] utf8, byte[] bytes)
    {
        Id = id;
        Names = names;
        Utf8 = utf8;
        Bytes = bytes;
        _indexes = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++) _indexes[names[i]] = i;
    }

    /// <summary>The schema's id, as entries carry it (16 bytes, little-endian).</summary>
    public UInt128 Id { get; }

    /// <summary>The names, in index order.</summary>
    public string[] Names { get; }

    /// <summary>The names in UTF-8, in index order.</summary>
    public byte[][] Utf8 { get; }

    /// <summary>The stored form: a format byte, the count (7-bit), each name (7-bit UTF-8 length, bytes).</summary>
    public byte[] Bytes { get; }

    /// <summary>Names held.</summary>
    public int Count => Names.Length;

    /// <summary>The index of <paramref name="name"/>, or -1; <paramref name="hint"/> is tried first (a twin's readings
    /// usually come in the order the schema was made in).</summary>
    public int IndexOf(string name, int hint)
    {
        var names = Names;
        if ((uint)hint < (uint)names.Length && string.Equals(names[hint], name, StringComparison.Ordinal)) return hint;
        return _indexes.TryGetValue(name, out int index) ? index : -1;
    }

    /// <summary>A schema of <paramref name="names"/> (distinct, at most <see cref="MaxNames"/>); when they begin with
    /// the names of <paramref name="basis"/> (a schema extended), its UTF-8 arrays are shared.</summary>
    public static TagSchema Create(IReadOnlyList<string> names, TagSchema? basis = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count > MaxNames) throw new ArgumentException($"A tag schema holds at most {MaxNames} names.", nameof(names));
        var utf8 = new byte[names.Count][];
        using var buffer = new MemoryStream();
        using (var w = RecordingCodec.Writer(buffer))
        {
            w.Write(FormatVersion);
            w.Write7BitEncodedInt(names.Count);
            for (int i = 0; i < names.Count; i++)
            {
                utf8[i] = basis is not null && i < basis.Count && ReferenceEquals(basis.Names[i], names[i]) ? basis.Utf8[i] : Encoding.UTF8.GetBytes(names[i]);
                w.Write7BitEncodedInt(utf8[i].Length);
                w.Write(utf8[i]);
            }
        }
        var bytes = buffer.ToArray();
        return new TagSchema(IdOf(bytes), [.. names], utf8, bytes);
    }

    /// <summary>The schema stored as <paramref name="bytes"/> under <paramref name="id"/>. Throws
    /// <see cref="InvalidDataException"/> when the bytes are not a schema or not the one the id names (a damaged row).</summary>
    public static TagSchema Parse(UInt128 id, ReadOnlySpan<byte> bytes)
    {
        if (IdOf(bytes) != id) throw new InvalidDataException($"tag schema {Format(id)} is damaged: its names do not hash to its id");
        int p = 0;
        if (bytes.Length == 0 || bytes[p++] != FormatVersion) throw new InvalidDataException($"tag schema {Format(id)} has an unknown format");
        long count = RecordingCodec.Read7(bytes, ref p);
        if (count < 0 || count > MaxNames) throw new InvalidDataException($"tag schema {Format(id)} holds an implausible {count} names");
        var names = new string[count];
        var utf8 = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            int length = checked((int)RecordingCodec.Read7(bytes, ref p));
            if (length < 0 || p + length > bytes.Length) throw new InvalidDataException($"tag schema {Format(id)} ends inside a name");
            utf8[i] = bytes.Slice(p, length).ToArray();
            names[i] = Encoding.UTF8.GetString(utf8[i]);
            p += length;
        }
        if (p != bytes.Length) throw new InvalidDataException($"tag schema {Format(id)} has {bytes.Length - p} bytes after its names");
        return new TagSchema(id, names, utf8, bytes.ToArray());
    }

    /// <summary>An id as text, for messages: 32 hex digits.</summary>
    public static string Format(UInt128 id) => id.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Reads an id as entries and rows carry it.</summary>
    public static UInt128 ReadId(ReadOnlySpan<byte> sixteen) =>
        new(BinaryPrimitives.ReadUInt64LittleEndian(sixteen[8..]), BinaryPrimitives.ReadUInt64LittleEndian(sixteen));

    /// <summary>Writes an id as entries and rows carry it.</summary>
    public static void WriteId(UInt128 id, Span<byte> sixteen)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(sixteen, (ulong)id);
        BinaryPrimitives.WriteUInt64LittleEndian(sixteen[8..], (ulong)(id >> 64));
    }

    /// <summary>An id as a 16-byte array (a row's key).</summary>
    public static byte[] IdBytes(UInt128 id)
    {
        var b = new byte[16];
        WriteId(id, b);
        return b;
    }

    private static UInt128 IdOf(ReadOnlySpan<byte> bytes)
    {
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(bytes, hash);
        return ReadId(hash);
    }

}
