using System.Buffers.Binary;
using System.Text;

namespace Imv.Runtime.Serialization;

/// <summary>Reads tagged fields from a span. Every malformed input throws <see cref="SerializationException"/>
/// naming what was wrong; nothing reads past the end of the span.</summary>
public ref struct CodecReader
{
    private const int MaxDepth = 64;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ReadOnlySpan<byte> _data;
    private int _position;
    private int _depth;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    public CodecReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
        _depth = 0;
        Session = null;
    }

    /// <summary>Per-message context (grain references need it); may be null.</summary>
    public SerializerSession? Session { get; set; }

    /// <summary>True when every byte was read.</summary>
    public readonly bool End => _position >= _data.Length;

    /// <summary>The read position.</summary>
    public readonly int Position => _position;

    /// <summary>Reads a field tag.</summary>
    public (uint FieldId, WireType WireType) ReadTag()
    {
        ulong tag = ReadVarUInt64();
        var wireType = (WireType)(tag & 7);
        if (wireType > WireType.Null) throw new SerializationException($"Unknown wire type {(int)wireType} at byte {_position}.");
        ulong id = tag >> 3;
        if (id > uint.MaxValue) throw new SerializationException($"Field id {id} out of range at byte {_position}.");
        return ((uint)id, wireType);
    }

    /// <summary>Reads an unsigned varint.</summary>
    public ulong ReadVarUInt64()
    {
        ulong result = 0;
        int shift = 0;
        while (true)
        {
            if (_position >= _data.Length) throw new SerializationException("Truncated varint.");
            byte b = _data[_position++];
            if (shift == 63 && b > 1) throw new SerializationException("Varint overflows 64 bits.");
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
            shift += 7;
            if (shift > 63) throw new SerializationException("Varint longer than 10 bytes.");
        }
    }

    /// <summary>Reads a signed (zig-zag) varint.</summary>
    public long ReadVarInt64()
    {
        ulong v = ReadVarUInt64();
        return (long)(v >> 1) ^ -(long)(v & 1);
    }

    /// <summary>Reads eight little-endian bytes.</summary>
    public ulong ReadFixed64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Reads four little-endian bytes.</summary>
    public uint ReadFixed32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    /// <summary>Reads a length prefix and returns that many bytes.</summary>
    public ReadOnlySpan<byte> ReadLengthPrefixed()
    {
        ulong length = ReadVarUInt64();
        if (length > (ulong)(_data.Length - _position))
            throw new SerializationException($"Length {length} runs past the end of the data ({_data.Length - _position} bytes left).");
        return Take((int)length);
    }

    /// <summary>Reads a length-prefixed UTF-8 string; invalid UTF-8 throws.</summary>
    public string ReadUtf8()
    {
        var bytes = ReadLengthPrefixed();
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new SerializationException("Invalid UTF-8 in a string field.", e);
        }
    }

    /// <summary>Checks that a field has the wire type a codec expects.</summary>
    public static void Expect(WireType actual, WireType expected, string what)
    {
        if (actual != expected)
            throw new SerializationException($"{what}: expected wire type {expected}, found {actual}.");
    }

    /// <summary>Enters a nested object (after its StartObject tag was read).</summary>
    public void EnterObject()
    {
        if (++_depth > MaxDepth) throw new SerializationException($"Objects nested deeper than {MaxDepth}.");
    }

    /// <summary>Leaves a nested object (after its EndObject tag was read).</summary>
    public void LeaveObject() => _depth--;

    /// <summary>Skips the payload of a field of the given wire type (used for unknown fields).</summary>
    public void SkipField(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.VarInt: ReadVarUInt64(); break;
            case WireType.Fixed64: Take(8); break;
            case WireType.Fixed32: Take(4); break;
            case WireType.LengthPrefixed: ReadLengthPrefixed(); break;
            case WireType.Null: break;
            case WireType.StartObject:
                EnterObject();
                while (true)
                {
                    var (_, inner) = ReadTag();
                    if (inner == WireType.EndObject) break;
                    SkipField(inner);
                }
                LeaveObject();
                break;
            default: throw new SerializationException($"Unexpected {wireType} tag.");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
            throw new SerializationException($"Truncated data: needed {count} bytes at byte {_position}, {_data.Length - _position} left.");
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
