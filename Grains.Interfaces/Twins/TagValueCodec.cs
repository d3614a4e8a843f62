using Imv.Runtime.Serialization;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>Hand-written codec of <see cref="TagValue"/>: field 0 the data type, field 1 the scalar bits,
/// field 2 the string or array.</summary>
public sealed class TagValueCodec : IFieldCodec<TagValue>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, TagValue value)
    {
        writer.WriteStartObject(fieldId);
        if (!value.IsNone)
        {
            writer.WriteTag(0, WireType.VarInt);
            writer.WriteVarUInt64((byte)value.DataType);
        }
        switch (value.DataType)
        {
            case TagDataType.Boolean or TagDataType.Integer:
                writer.WriteTag(1, WireType.VarInt);
                writer.WriteVarInt64(value.ScalarBits);
                break;
            case TagDataType.Double:
                writer.WriteTag(1, WireType.Fixed64);
                writer.WriteFixed64((ulong)value.ScalarBits);
                break;
            case TagDataType.String:
                writer.WriteTag(2, WireType.LengthPrefixed);
                writer.WriteUtf8((string)value.Reference!);
                break;
            case TagDataType.BooleanArray:
                writer.WriteStartObject(2);
                foreach (var b in (bool[])value.Reference!) { writer.WriteTag(0, WireType.VarInt); writer.WriteVarUInt64(b ? 1u : 0u); }
                writer.WriteEndObject();
                break;
            case TagDataType.IntegerArray:
                writer.WriteStartObject(2);
                foreach (var l in (long[])value.Reference!) { writer.WriteTag(0, WireType.VarInt); writer.WriteVarInt64(l); }
                writer.WriteEndObject();
                break;
            case TagDataType.DoubleArray:
                writer.WriteStartObject(2);
                foreach (var d in (double[])value.Reference!) { writer.WriteTag(0, WireType.Fixed64); writer.WriteFixed64((ulong)BitConverter.DoubleToInt64Bits(d)); }
                writer.WriteEndObject();
                break;
            case TagDataType.StringArray:
                writer.WriteStartObject(2);
                foreach (var s in (string[])value.Reference!) { writer.WriteTag(0, WireType.LengthPrefixed); writer.WriteUtf8(s); }
                writer.WriteEndObject();
                break;
        }
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public static TagValue ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.StartObject, nameof(TagValue));
        reader.EnterObject();
        var type = TagDataType.None;
        long scalar = 0;
        object? reference = null;
        while (true)
        {
            var (id, wt) = reader.ReadTag();
            if (wt == WireType.EndObject) break;
            switch (id)
            {
                case 0 when wt == WireType.VarInt:
                    ulong t = reader.ReadVarUInt64();
                    if (t > (ulong)TagDataType.StringArray) throw new SerializationException($"Unknown tag data type {t}.");
                    type = (TagDataType)t;
                    break;
                case 1 when wt == WireType.VarInt: scalar = reader.ReadVarInt64(); break;
                case 1 when wt == WireType.Fixed64: scalar = (long)reader.ReadFixed64(); break;
                case 2 when wt == WireType.LengthPrefixed: reference = reader.ReadUtf8(); break;
                case 2 when wt == WireType.StartObject: reference = ReadArray(ref reader, type); break;
                default: reader.SkipField(wt); break;
            }
        }
        reader.LeaveObject();
        bool consistent = type switch
        {
            TagDataType.None or TagDataType.Boolean or TagDataType.Integer or TagDataType.Double => reference is null,
            TagDataType.String => reference is string,
            _ => reference is Array,
        };
        if (!consistent) throw new SerializationException($"Tag value of type {type} carries no matching payload.");
        return TagValue.FromRaw(type, scalar, reference);
    }

    private static Array ReadArray(ref CodecReader reader, TagDataType type)
    {
        reader.EnterObject();
        var bools = type == TagDataType.BooleanArray ? new List<bool>() : null;
        var longs = type == TagDataType.IntegerArray ? new List<long>() : null;
        var doubles = type == TagDataType.DoubleArray ? new List<double>() : null;
        var strings = type == TagDataType.StringArray ? new List<string>() : null;
        if (bools is null && longs is null && doubles is null && strings is null)
            throw new SerializationException($"Tag value of type {type} cannot hold an array (data type must come first).");
        while (true)
        {
            var (_, wt) = reader.ReadTag();
            if (wt == WireType.EndObject) break;
            if (bools is not null && wt == WireType.VarInt) bools.Add(reader.ReadVarUInt64() != 0);
            else if (longs is not null && wt == WireType.VarInt) longs.Add(reader.ReadVarInt64());
            else if (doubles is not null && wt == WireType.Fixed64) doubles.Add(BitConverter.Int64BitsToDouble((long)reader.ReadFixed64()));
            else if (strings is not null && wt == WireType.LengthPrefixed) strings.Add(reader.ReadUtf8());
            else throw new SerializationException($"Array element of {type} has wire type {wt}.");
        }
        reader.LeaveObject();
        return (Array?)bools?.ToArray() ?? (Array?)longs?.ToArray() ?? (Array?)doubles?.ToArray() ?? strings!.ToArray();
    }
}
