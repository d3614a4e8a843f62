using System.Buffers.Binary;
using System.Text;
using Imv.Gateways.Mqtt;
using Imv.Gateways.Sparkplug.Proto;
using Imv.Grains.Interfaces.Twins;
using Google.Protobuf;

namespace Imv.Gateways.Sparkplug;

/// <summary>Converts Sparkplug metric values to and from <see cref="TagValue"/>.</summary>
public static class SparkplugMetricCodec
{
    /// <summary>Parses a Sparkplug payload; throws <see cref="MqttDecodeException"/> for bad protobuf.</summary>
    public static Payload ParsePayload(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return Payload.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new MqttDecodeException($"Invalid Sparkplug B payload: {ex.Message}", ex);
        }
    }

    /// <summary>The tag data type a Sparkplug data type maps to; None when it is not mapped to a tag
    /// (data sets, templates, bytes, files).</summary>
    public static TagDataType ToTagDataType(SparkplugDataType type) => type switch
    {
        SparkplugDataType.Int8 or SparkplugDataType.Int16 or SparkplugDataType.Int32 or SparkplugDataType.Int64
            or SparkplugDataType.UInt8 or SparkplugDataType.UInt16 or SparkplugDataType.UInt32 or SparkplugDataType.UInt64
            or SparkplugDataType.DateTime => TagDataType.Integer,
        SparkplugDataType.Float or SparkplugDataType.Double => TagDataType.Double,
        SparkplugDataType.Boolean => TagDataType.Boolean,
        SparkplugDataType.String or SparkplugDataType.Text or SparkplugDataType.Uuid => TagDataType.String,
        SparkplugDataType.Int8Array or SparkplugDataType.Int16Array or SparkplugDataType.Int32Array or SparkplugDataType.Int64Array
            or SparkplugDataType.UInt8Array or SparkplugDataType.UInt16Array or SparkplugDataType.UInt32Array or SparkplugDataType.UInt64Array
            or SparkplugDataType.DateTimeArray => TagDataType.IntegerArray,
        SparkplugDataType.FloatArray or SparkplugDataType.DoubleArray => TagDataType.DoubleArray,
        SparkplugDataType.BooleanArray => TagDataType.BooleanArray,
        SparkplugDataType.StringArray => TagDataType.StringArray,
        _ => TagDataType.None,
    };

    /// <summary>Reads a metric's value as the given type. Throws <see cref="MqttDecodeException"/> when the
    /// value does not fit the type (wrong oneof case, bad array bytes).</summary>
    public static TagValue ReadValue(Payload.Types.Metric metric, SparkplugDataType type)
    {
        if (metric.HasIsNull && metric.IsNull) return TagValue.None;
        switch (type)
        {
            case SparkplugDataType.Int8: return TagValue.FromInteger((sbyte)(byte)Integer32(metric, type));
            case SparkplugDataType.Int16: return TagValue.FromInteger((short)(ushort)Integer32(metric, type));
            case SparkplugDataType.Int32: return TagValue.FromInteger((int)Integer32(metric, type));
            case SparkplugDataType.UInt8: return TagValue.FromInteger((byte)Integer32(metric, type));
            case SparkplugDataType.UInt16: return TagValue.FromInteger((ushort)Integer32(metric, type));
            case SparkplugDataType.UInt32: return TagValue.FromInteger(metric.ValueCase == Payload.Types.Metric.ValueOneofCase.LongValue ? (uint)metric.LongValue : Integer32(metric, type));
            case SparkplugDataType.Int64:
            case SparkplugDataType.DateTime: return TagValue.FromInteger(unchecked((long)Long(metric, type)));
            case SparkplugDataType.UInt64:
                var unsigned = Long(metric, type);
                // Beyond Int64 the value keeps its magnitude as a double rather than wrapping negative.
                return unsigned > long.MaxValue ? TagValue.FromDouble(unsigned) : TagValue.FromInteger((long)unsigned);
            case SparkplugDataType.Float:
                return metric.ValueCase == Payload.Types.Metric.ValueOneofCase.FloatValue ? TagValue.FromDouble(metric.FloatValue) : throw Mismatch(metric, type);
            case SparkplugDataType.Double:
                return metric.ValueCase switch
                {
                    Payload.Types.Metric.ValueOneofCase.DoubleValue => TagValue.FromDouble(metric.DoubleValue),
                    Payload.Types.Metric.ValueOneofCase.FloatValue => TagValue.FromDouble(metric.FloatValue),
                    _ => throw Mismatch(metric, type),
                };
            case SparkplugDataType.Boolean:
                return metric.ValueCase == Payload.Types.Metric.ValueOneofCase.BooleanValue ? TagValue.FromBoolean(metric.BooleanValue) : throw Mismatch(metric, type);
            case SparkplugDataType.String:
            case SparkplugDataType.Text:
            case SparkplugDataType.Uuid:
                return metric.ValueCase == Payload.Types.Metric.ValueOneofCase.StringValue ? TagValue.FromString(metric.StringValue) : throw Mismatch(metric, type);
            default:
                if (type >= SparkplugDataType.Int8Array && type <= SparkplugDataType.DateTimeArray)
                {
                    if (metric.ValueCase != Payload.Types.Metric.ValueOneofCase.BytesValue) throw Mismatch(metric, type);
                    return ReadArray(metric.BytesValue.Span, type);
                }
                throw new MqttDecodeException($"Metric '{metric.Name}' has data type {type}, which is not mapped to a tag.");
        }
    }

    private static uint Integer32(Payload.Types.Metric metric, SparkplugDataType type) => metric.ValueCase switch
    {
        Payload.Types.Metric.ValueOneofCase.IntValue => metric.IntValue,
        Payload.Types.Metric.ValueOneofCase.LongValue => (uint)metric.LongValue,
        _ => throw Mismatch(metric, type),
    };

    private static ulong Long(Payload.Types.Metric metric, SparkplugDataType type) => metric.ValueCase switch
    {
        Payload.Types.Metric.ValueOneofCase.LongValue => metric.LongValue,
        Payload.Types.Metric.ValueOneofCase.IntValue => metric.IntValue,
        _ => throw Mismatch(metric, type),
    };

    private static MqttDecodeException Mismatch(Payload.Types.Metric metric, SparkplugDataType type) =>
        new($"Metric '{(metric.HasName ? metric.Name : "alias " + metric.Alias)}' of type {type} carries a {metric.ValueCase} value.");

    private static TagValue ReadArray(ReadOnlySpan<byte> bytes, SparkplugDataType type)
    {
        int width = type switch
        {
            SparkplugDataType.Int8Array or SparkplugDataType.UInt8Array => 1,
            SparkplugDataType.Int16Array or SparkplugDataType.UInt16Array => 2,
            SparkplugDataType.Int32Array or SparkplugDataType.UInt32Array or SparkplugDataType.FloatArray => 4,
            SparkplugDataType.Int64Array or SparkplugDataType.UInt64Array or SparkplugDataType.DoubleArray or SparkplugDataType.DateTimeArray => 8,
            _ => 0,
        };
        if (type == SparkplugDataType.BooleanArray)
        {
            // A 4-byte little-endian count, then the bits packed most significant first.
            if (bytes.Length < 4) throw new MqttDecodeException("Boolean array shorter than its 4-byte count.");
            var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
            if (count > (uint)(bytes.Length - 4) * 8) throw new MqttDecodeException($"Boolean array announces {count} values in {bytes.Length - 4} bytes.");
            var values = new bool[count];
            for (var i = 0; i < count; i++) values[i] = (bytes[4 + i / 8] & (0x80 >> (i % 8))) != 0;
            return TagValue.FromArray(values);
        }
        if (type == SparkplugDataType.StringArray)
        {
            // Null-terminated UTF-8 strings, one after another.
            var list = new List<string>();
            while (!bytes.IsEmpty)
            {
                var end = bytes.IndexOf((byte)0);
                if (end < 0) throw new MqttDecodeException("String array element without its null terminator.");
                list.Add(MqttSpanReader.DecodeUtf8(bytes.Slice(0, end), "String array element"));
                bytes = bytes.Slice(end + 1);
            }
            return TagValue.FromArray(list.ToArray());
        }
        if (width == 0 || bytes.Length % width != 0) throw new MqttDecodeException($"{type} of {bytes.Length} bytes is not a whole number of {width}-byte elements.");
        var n = bytes.Length / width;
        if (type is SparkplugDataType.FloatArray or SparkplugDataType.DoubleArray)
        {
            var doubles = new double[n];
            for (var i = 0; i < n; i++)
                doubles[i] = width == 4 ? BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4)) : BinaryPrimitives.ReadDoubleLittleEndian(bytes.Slice(i * 8));
            return TagValue.FromArray(doubles);
        }
        var longs = new long[n];
        for (var i = 0; i < n; i++)
        {
            var slice = bytes.Slice(i * width);
            longs[i] = type switch
            {
                SparkplugDataType.Int8Array => (sbyte)slice[0],
                SparkplugDataType.UInt8Array => slice[0],
                SparkplugDataType.Int16Array => BinaryPrimitives.ReadInt16LittleEndian(slice),
                SparkplugDataType.UInt16Array => BinaryPrimitives.ReadUInt16LittleEndian(slice),
                SparkplugDataType.Int32Array => BinaryPrimitives.ReadInt32LittleEndian(slice),
                SparkplugDataType.UInt32Array => BinaryPrimitives.ReadUInt32LittleEndian(slice),
                _ => BinaryPrimitives.ReadInt64LittleEndian(slice),
            };
        }
        return TagValue.FromArray(longs);
    }

    /// <summary>Sets a metric's data type and value from a tag value, converting to the metric's declared
    /// type. Returns an error text when the value cannot be written to that type.</summary>
    public static string? TryWriteValue(Payload.Types.Metric metric, SparkplugDataType type, TagValue value)
    {
        metric.Datatype = (uint)type;
        if (value.IsNone)
        {
            metric.IsNull = true;
            return null;
        }
        switch (type)
        {
            case SparkplugDataType.Int8 or SparkplugDataType.Int16 or SparkplugDataType.Int32
                or SparkplugDataType.UInt8 or SparkplugDataType.UInt16:
                if (!TryInteger(value, out var small)) return Cannot(value, type);
                var (min, max) = type switch
                {
                    SparkplugDataType.Int8 => (sbyte.MinValue, (long)sbyte.MaxValue),
                    SparkplugDataType.Int16 => (short.MinValue, short.MaxValue),
                    SparkplugDataType.Int32 => (int.MinValue, int.MaxValue),
                    SparkplugDataType.UInt8 => (0, byte.MaxValue),
                    _ => (0L, (long)ushort.MaxValue),
                };
                if (small < min || small > max) return $"value {small} is outside the range of {type}";
                metric.IntValue = unchecked((uint)(int)small);
                return null;
            case SparkplugDataType.UInt32 or SparkplugDataType.Int64 or SparkplugDataType.UInt64 or SparkplugDataType.DateTime:
                if (!TryInteger(value, out var big)) return Cannot(value, type);
                if (type == SparkplugDataType.UInt32 && (big < 0 || big > uint.MaxValue)) return $"value {big} is outside the range of UInt32";
                if (type == SparkplugDataType.UInt64 && big < 0) return $"value {big} is outside the range of UInt64";
                metric.LongValue = unchecked((ulong)big);
                return null;
            case SparkplugDataType.Float:
                if (!value.TryGetNumber(out var f) || value.DataType == TagDataType.Boolean) return Cannot(value, type);
                metric.FloatValue = (float)f;
                return null;
            case SparkplugDataType.Double:
                if (!value.TryGetNumber(out var d) || value.DataType == TagDataType.Boolean) return Cannot(value, type);
                metric.DoubleValue = d;
                return null;
            case SparkplugDataType.Boolean:
                if (value.DataType == TagDataType.Boolean) metric.BooleanValue = value.AsBoolean();
                else if (value.DataType == TagDataType.Integer && value.AsInteger() is 0 or 1) metric.BooleanValue = value.AsInteger() == 1;
                else return Cannot(value, type);
                return null;
            case SparkplugDataType.String or SparkplugDataType.Text or SparkplugDataType.Uuid:
                if (value.DataType != TagDataType.String) return Cannot(value, type);
                metric.StringValue = value.AsString();
                return null;
            default:
                return $"writing metrics of type {type} is not supported";
        }
    }

    private static bool TryInteger(TagValue value, out long result)
    {
        switch (value.DataType)
        {
            case TagDataType.Integer: result = value.AsInteger(); return true;
            case TagDataType.Boolean: result = value.AsBoolean() ? 1 : 0; return true;
            case TagDataType.Double:
                var d = value.AsDouble();
                result = (long)d;
                return d == Math.Floor(d) && d >= long.MinValue && d <= long.MaxValue;
            default: result = 0; return false;
        }
    }

    private static string Cannot(TagValue value, SparkplugDataType type) => $"a {value.DataType} value ({value}) cannot be written to a metric of type {type}";

    /// <summary>Encodes a tag array value into the Sparkplug bytes layout (for tests and simulators).</summary>
    public static ByteString EncodeDoubleArray(double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        return ByteString.CopyFrom(bytes);
    }

    /// <summary>Encodes strings into the Sparkplug string array layout.</summary>
    public static ByteString EncodeStringArray(string[] values)
    {
        using var stream = new MemoryStream();
        foreach (var v in values)
        {
            stream.Write(Encoding.UTF8.GetBytes(v));
            stream.WriteByte(0);
        }
        return ByteString.CopyFrom(stream.ToArray());
    }
}
