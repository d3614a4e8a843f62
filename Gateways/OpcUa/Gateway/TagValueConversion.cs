using System.Globalization;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>Conversions between OPC UA values and twin tag values. Integers of every width widen to
/// Integer, Float and Double to Double; other scalars become their text (DateTime as ISO 8601).
/// Writes convert back to the node's own built-in type, never across kinds (a string is not parsed
/// into a number: the server rejects it with BadTypeMismatch, which is what the operator should see).</summary>
internal static class TagValueConversion
{
    public static TagValue ToTagValue(in Variant value)
    {
        if (value.IsNull) return TagValue.None;
        if (!value.IsArray)
        {
            switch (value.Type)
            {
                case BuiltInType.Boolean: return TagValue.FromBoolean(value.Bits != 0);
                case BuiltInType.SByte:
                case BuiltInType.Byte:
                case BuiltInType.Int16:
                case BuiltInType.UInt16:
                case BuiltInType.Int32:
                case BuiltInType.UInt32:
                case BuiltInType.Int64:
                case BuiltInType.UInt64:
                    return TagValue.FromInteger(value.Bits);
                case BuiltInType.Float: return TagValue.FromDouble(BitConverter.Int32BitsToSingle((int)value.Bits));
                case BuiltInType.Double: return TagValue.FromDouble(BitConverter.Int64BitsToDouble(value.Bits));
                case BuiltInType.String: return TagValue.FromString((string?)value.Reference ?? "");
                case BuiltInType.DateTime: return TagValue.FromString(new DateTime(value.Bits, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture));
                case BuiltInType.ByteString: return TagValue.FromString(Convert.ToBase64String((byte[]?)value.Reference ?? []));
                default: return TagValue.FromString(value.ToString());
            }
        }
        return value.Reference switch
        {
            bool[] b => TagValue.FromArray(b),
            double[] d => TagValue.FromArray(d),
            float[] f => TagValue.FromArray(Array.ConvertAll(f, x => (double)x)),
            string[] s => TagValue.FromArray(s),
            sbyte[] a => TagValue.FromArray(Array.ConvertAll(a, x => (long)x)),
            byte[] a => TagValue.FromArray(Array.ConvertAll(a, x => (long)x)),
            short[] a => TagValue.FromArray(Array.ConvertAll(a, x => (long)x)),
            ushort[] a => TagValue.FromArray(Array.ConvertAll(a, x => (long)x)),
            int[] a => TagValue.FromArray(Array.ConvertAll(a, x => (long)x)),
            uint[] a => TagValue.FromArray(Array.ConvertAll(a, x => (long)x)),
            long[] a => TagValue.FromArray(a),
            ulong[] a => TagValue.FromArray(Array.ConvertAll(a, x => unchecked((long)x))),
            Array a => TagValue.FromArray(a.Cast<object?>().Select(x => Convert.ToString(x, CultureInfo.InvariantCulture) ?? "").ToArray()),
            _ => TagValue.None,
        };
    }

    /// <summary>The tag data type of a node's built-in type and value rank.</summary>
    public static TagDataType ToTagDataType(BuiltInType? type, bool isArray) => (type, isArray) switch
    {
        (BuiltInType.Boolean, false) => TagDataType.Boolean,
        (BuiltInType.Boolean, true) => TagDataType.BooleanArray,
        (>= BuiltInType.SByte and <= BuiltInType.UInt64, false) => TagDataType.Integer,
        (>= BuiltInType.SByte and <= BuiltInType.UInt64, true) => TagDataType.IntegerArray,
        (BuiltInType.Float or BuiltInType.Double, false) => TagDataType.Double,
        (BuiltInType.Float or BuiltInType.Double, true) => TagDataType.DoubleArray,
        (_, true) => TagDataType.StringArray,
        _ => TagDataType.String,
    };

    /// <summary>The built-in type of a DataType node id (namespace 0 types and common subtypes); null
    /// for structures and vendor types.</summary>
    public static BuiltInType? FromDataTypeId(NodeId dataType)
    {
        if (dataType.NamespaceIndex != 0 || dataType.IdType != NodeIdType.Numeric) return null;
        var id = dataType.NumericId;
        if (id is >= 1 and <= 25) return (BuiltInType)id;
        return id switch
        {
            290 => BuiltInType.Double, // Duration
            294 => BuiltInType.DateTime, // UtcTime
            295 => BuiltInType.String, // LocaleId
            _ => null,
        };
    }

    /// <summary>Converts a value to write; false with a reason when it does not fit the node's type.</summary>
    public static bool TryToVariant(TagValue value, BuiltInType? target, out Variant variant, out string? error)
    {
        error = null;
        variant = default;
        try
        {
            switch (value.DataType)
            {
                case TagDataType.Boolean:
                    variant = Variant.From(value.AsBoolean());
                    return true;
                case TagDataType.Integer:
                    {
                        var n = value.AsInteger();
                        variant = target switch
                        {
                            BuiltInType.SByte => Variant.From(checked((sbyte)n)),
                            BuiltInType.Byte => Variant.From(checked((byte)n)),
                            BuiltInType.Int16 => Variant.From(checked((short)n)),
                            BuiltInType.UInt16 => Variant.From(checked((ushort)n)),
                            BuiltInType.Int32 => Variant.From(checked((int)n)),
                            BuiltInType.UInt32 => Variant.From(checked((uint)n)),
                            BuiltInType.UInt64 => Variant.From(checked((ulong)n)),
                            BuiltInType.Float => Variant.From((float)n),
                            BuiltInType.Double => Variant.From((double)n),
                            _ => Variant.From(n),
                        };
                        return true;
                    }
                case TagDataType.Double:
                    {
                        var d = value.AsDouble();
                        variant = target == BuiltInType.Float ? Variant.From((float)d) : Variant.From(d);
                        return true;
                    }
                case TagDataType.String:
                    variant = Variant.From(value.AsString());
                    return true;
                case TagDataType.BooleanArray:
                    variant = Variant.From((bool[])value.AsArray());
                    return true;
                case TagDataType.DoubleArray:
                    {
                        var a = (double[])value.AsArray();
                        variant = target == BuiltInType.Float ? Variant.From(Array.ConvertAll(a, x => (float)x)) : Variant.From(a);
                        return true;
                    }
                case TagDataType.IntegerArray:
                    {
                        var a = (long[])value.AsArray();
                        variant = target switch
                        {
                            BuiltInType.Int32 => Variant.From(Array.ConvertAll(a, x => checked((int)x))),
                            BuiltInType.Int16 => Variant.From(Array.ConvertAll(a, x => checked((short)x))),
                            BuiltInType.Byte => Variant.FromArray(BuiltInType.Byte, Array.ConvertAll(a, x => checked((byte)x))),
                            BuiltInType.Double => Variant.From(Array.ConvertAll(a, x => (double)x)),
                            _ => Variant.From(a),
                        };
                        return true;
                    }
                case TagDataType.StringArray:
                    variant = Variant.From((string[])value.AsArray());
                    return true;
                default:
                    error = "BadTypeMismatch: the command carries no value";
                    return false;
            }
        }
        catch (OverflowException)
        {
            error = $"BadOutOfRange: {value} does not fit {target}";
            return false;
        }
    }

    /// <summary>The quality of a status code.</summary>
    public static TagQuality ToQuality(uint statusCode) =>
        (statusCode & 0xC0000000) switch
        {
            0 => TagQuality.Good,
            0x40000000 => TagQuality.Uncertain,
            _ => TagQuality.Bad,
        };
}
