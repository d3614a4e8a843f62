using System.Buffers;
using System.Text;
using Orleans;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.WireProtocol;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>Orleans' codec and copier of <see cref="TagValue"/>. A value is one length-prefixed field: its data type
/// (1 byte), then a boolean as 1 byte, an integer or double as 8 bytes little-endian, a string as UTF-8, an array as
/// its elements (booleans 1 byte, integers and doubles 8 bytes, strings as a varint length and UTF-8). A double tag
/// costs 11 bytes with its field header, so the 20 tags of a twin's state stay small on the ingest path. Payloads
/// that do not match their data type are refused with <see cref="InvalidDataException"/>. Values are immutable, so
/// copying returns the value itself.</summary>
[RegisterSerializer]
[RegisterCopier]
public sealed class TagValueCodec : IFieldCodec<TagValue>, IDeepCopier<TagValue>
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <inheritdoc />
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, TagValue value)
        where TBufferWriter : IBufferWriter<byte>
    {
        ReferenceCodec.MarkValueField(writer.Session);
        writer.WriteFieldHeader(fieldIdDelta, expectedType, typeof(TagValue), WireType.LengthPrefixed);
        writer.WriteVarUInt32((uint)PayloadLength(value));
        writer.WriteByte((byte)value.DataType);
        switch (value.DataType)
        {
            case TagDataType.None:
                break;
            case TagDataType.Boolean:
                writer.WriteByte(value.ScalarBits != 0 ? (byte)1 : (byte)0);
                break;
            case TagDataType.Integer or TagDataType.Double:
                writer.WriteInt64(value.ScalarBits);
                break;
            case TagDataType.String:
                WriteUtf8(ref writer, (string)value.Reference!);
                break;
            case TagDataType.BooleanArray:
                foreach (var b in (bool[])value.Reference!) writer.WriteByte(b ? (byte)1 : (byte)0);
                break;
            case TagDataType.IntegerArray:
                foreach (var l in (long[])value.Reference!) writer.WriteInt64(l);
                break;
            case TagDataType.DoubleArray:
                foreach (var d in (double[])value.Reference!) writer.WriteInt64(BitConverter.DoubleToInt64Bits(d));
                break;
            case TagDataType.StringArray:
                foreach (var s in (string[])value.Reference!)
                {
                    writer.WriteVarUInt32((uint)Utf8.GetByteCount(s));
                    WriteUtf8(ref writer, s);
                }
                break;
        }
    }

    /// <inheritdoc />
    public TagValue ReadValue<TInput>(ref Reader<TInput> reader, Field field)
    {
        ReferenceCodec.MarkValueField(reader.Session);
        if (field.WireType != WireType.LengthPrefixed)
            throw new InvalidDataException($"A tag value is a length-prefixed field, not {field.WireType}.");
        uint length = reader.ReadVarUInt32();
        if (length == 0) throw new InvalidDataException("A tag value has no data type.");
        var type = (TagDataType)reader.ReadByte();
        int payload = checked((int)length - 1);
        switch (type)
        {
            case TagDataType.None:
                Expect(payload, 0, type);
                return TagValue.None;
            case TagDataType.Boolean:
                Expect(payload, 1, type);
                byte b = reader.ReadByte();
                if (b > 1) throw new InvalidDataException($"A boolean tag value holds {b}.");
                return TagValue.FromBoolean(b == 1);
            case TagDataType.Integer:
                Expect(payload, 8, type);
                return TagValue.FromInteger(reader.ReadInt64());
            case TagDataType.Double:
                Expect(payload, 8, type);
                return TagValue.FromDouble(BitConverter.Int64BitsToDouble(reader.ReadInt64()));
            case TagDataType.String:
                return TagValue.FromString(ReadUtf8(ref reader, payload));
            case TagDataType.BooleanArray:
            {
                var values = new bool[payload];
                for (int i = 0; i < values.Length; i++)
                {
                    byte e = reader.ReadByte();
                    if (e > 1) throw new InvalidDataException($"A boolean array element holds {e}.");
                    values[i] = e == 1;
                }
                return TagValue.FromArray(values);
            }
            case TagDataType.IntegerArray:
            {
                if (payload % 8 != 0) throw new InvalidDataException($"An integer array of {payload} bytes is not a whole number of elements.");
                var values = new long[payload / 8];
                for (int i = 0; i < values.Length; i++) values[i] = reader.ReadInt64();
                return TagValue.FromArray(values);
            }
            case TagDataType.DoubleArray:
            {
                if (payload % 8 != 0) throw new InvalidDataException($"A double array of {payload} bytes is not a whole number of elements.");
                var values = new double[payload / 8];
                for (int i = 0; i < values.Length; i++) values[i] = BitConverter.Int64BitsToDouble(reader.ReadInt64());
                return TagValue.FromArray(values);
            }
            case TagDataType.StringArray:
            {
                var values = new List<string>();
                long end = reader.Position + payload;
                while (reader.Position < end)
                {
                    uint n = reader.ReadVarUInt32();
                    if (reader.Position + n > end) throw new InvalidDataException("A string array element runs past its tag value.");
                    values.Add(ReadUtf8(ref reader, (int)n));
                }
                if (reader.Position != end) throw new InvalidDataException("A string array runs past its tag value.");
                return TagValue.FromArray([.. values]);
            }
            default:
                throw new InvalidDataException($"Unknown tag data type {(int)type}.");
        }
    }

    /// <inheritdoc />
    public TagValue DeepCopy(TagValue input, CopyContext context) => input;

    private static int PayloadLength(TagValue value) => 1 + value.DataType switch
    {
        TagDataType.None => 0,
        TagDataType.Boolean => 1,
        TagDataType.Integer or TagDataType.Double => 8,
        TagDataType.String => Utf8.GetByteCount((string)value.Reference!),
        TagDataType.BooleanArray => ((bool[])value.Reference!).Length,
        TagDataType.IntegerArray => 8 * ((long[])value.Reference!).Length,
        TagDataType.DoubleArray => 8 * ((double[])value.Reference!).Length,
        TagDataType.StringArray => ((string[])value.Reference!).Sum(s => { int n = Utf8.GetByteCount(s); return VarIntLength((uint)n) + n; }),
        _ => throw new InvalidOperationException($"Unknown tag data type {value.DataType}."),
    };

    private static int VarIntLength(uint value)
    {
        int n = 1;
        while (value >= 0x80) { value >>= 7; n++; }
        return n;
    }

    private static void Expect(int payload, int expected, TagDataType type)
    {
        if (payload != expected) throw new InvalidDataException($"A {type} tag value has {payload} payload bytes, not {expected}.");
    }

    private static void WriteUtf8<TBufferWriter>(ref Writer<TBufferWriter> writer, string value) where TBufferWriter : IBufferWriter<byte>
    {
        int n = Utf8.GetByteCount(value);
        if (n <= 256)
        {
            Span<byte> buffer = stackalloc byte[256];
            writer.Write(buffer[..Utf8.GetBytes(value, buffer)]);
            return;
        }
        var rented = ArrayPool<byte>.Shared.Rent(n);
        try { writer.Write(rented.AsSpan(0, Utf8.GetBytes(value, rented))); }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    private static string ReadUtf8<TInput>(ref Reader<TInput> reader, int length)
    {
        if (length < 0) throw new InvalidDataException("A string tag value has a negative length.");
        if (length <= 256)
        {
            Span<byte> buffer = stackalloc byte[256];
            reader.ReadBytes(buffer[..length]);
            return Decode(buffer[..length]);
        }
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            reader.ReadBytes(rented.AsSpan(0, length));
            return Decode(rented.AsSpan(0, length));
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    private static string Decode(ReadOnlySpan<byte> bytes)
    {
        try { return Utf8.GetString(bytes); }
        catch (DecoderFallbackException e) { throw new InvalidDataException("A string tag value is not valid UTF-8.", e); }
    }
}
