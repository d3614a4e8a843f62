using System.Buffers.Binary;

namespace Imv.Runtime.Serialization.Codecs;

/// <summary>Codec of <see cref="bool"/>: a <see cref="WireType.VarInt"/> 0 or 1 (anything else is refused).</summary>
public sealed class BooleanCodec : IFieldCodec<bool>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, bool value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt64(value ? 1u : 0u);
    }

    /// <inheritdoc />
    public static bool ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "Boolean");
        ulong v = reader.ReadVarUInt64();
        if (v > 1) throw CodecHelpers.OutOfRange("Boolean", v);
        return v == 1;
    }
}

/// <summary>Codec of <see cref="char"/>: the UTF-16 code unit as an unsigned <see cref="WireType.VarInt"/>.</summary>
public sealed class CharCodec : IFieldCodec<char>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, char value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt64(value);
    }

    /// <inheritdoc />
    public static char ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "Char");
        ulong v = reader.ReadVarUInt64();
        if (v > char.MaxValue) throw CodecHelpers.OutOfRange("Char", v);
        return (char)v;
    }
}

/// <summary>Codec of <see cref="float"/>: its IEEE bits as <see cref="WireType.Fixed32"/> (NaN payloads kept).</summary>
public sealed class SingleCodec : IFieldCodec<float>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, float value)
    {
        writer.WriteTag(fieldId, WireType.Fixed32);
        writer.WriteFixed32(BitConverter.SingleToUInt32Bits(value));
    }

    /// <inheritdoc />
    public static float ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.Fixed32, "Single");
        return BitConverter.UInt32BitsToSingle(reader.ReadFixed32());
    }
}

/// <summary>Codec of <see cref="double"/>: its IEEE bits as <see cref="WireType.Fixed64"/> (NaN payloads kept).</summary>
public sealed class DoubleCodec : IFieldCodec<double>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, double value)
    {
        writer.WriteTag(fieldId, WireType.Fixed64);
        writer.WriteFixed64(BitConverter.DoubleToUInt64Bits(value));
    }

    /// <inheritdoc />
    public static double ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.Fixed64, "Double");
        return BitConverter.UInt64BitsToDouble(reader.ReadFixed64());
    }
}

/// <summary>Codec of <see cref="decimal"/>: <see cref="WireType.LengthPrefixed"/> 16 bytes, the four 32-bit
/// parts of <see cref="decimal.GetBits(decimal, Span{int})"/> little-endian (lo, mid, hi, flags).</summary>
public sealed class DecimalCodec : IFieldCodec<decimal>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, decimal value)
    {
        Span<int> parts = stackalloc int[4];
        decimal.GetBits(value, parts);
        Span<byte> bytes = stackalloc byte[16];
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteInt32LittleEndian(bytes[(i * 4)..], parts[i]);
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteLengthPrefixed(bytes);
    }

    /// <inheritdoc />
    public static decimal ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.LengthPrefixed, "Decimal");
        var bytes = reader.ReadLengthPrefixed();
        if (bytes.Length != 16) throw new SerializationException($"Decimal: expected 16 bytes, found {bytes.Length}.");
        Span<int> parts = stackalloc int[4];
        for (int i = 0; i < 4; i++) parts[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(i * 4)..]);
        int flags = parts[3];
        // Valid flags: bits 0-15 zero, scale (bits 16-23) at most 28, bits 24-30 zero; bit 31 the sign.
        if ((flags & 0x7F00FFFF) != 0 || ((flags >> 16) & 0xFF) > 28)
            throw new SerializationException($"Decimal: invalid flags 0x{flags:X8}.");
        return new decimal(parts);
    }
}

/// <summary>Codec of <see cref="string"/>: <see cref="WireType.LengthPrefixed"/> UTF-8. A null string writes
/// nothing (a missing field reads back as null); invalid UTF-8 is refused on read.</summary>
#nullable disable annotations
public sealed class StringCodec : IFieldCodec<string>
#nullable restore annotations
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, string? value)
    {
        if (value is null) return;
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteUtf8(value);
    }

    /// <inheritdoc />
    public static string ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.LengthPrefixed, "String");
        return reader.ReadUtf8();
    }
}

/// <summary>Codec of <see cref="Guid"/>: <see cref="WireType.LengthPrefixed"/> 16 bytes
/// (<see cref="Guid.TryWriteBytes(Span{byte})"/> order).</summary>
public sealed class GuidCodec : IFieldCodec<Guid>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        value.TryWriteBytes(bytes);
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteLengthPrefixed(bytes);
    }

    /// <inheritdoc />
    public static Guid ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.LengthPrefixed, "Guid");
        var bytes = reader.ReadLengthPrefixed();
        if (bytes.Length != 16) throw new SerializationException($"Guid: expected 16 bytes, found {bytes.Length}.");
        return new Guid(bytes);
    }
}

/// <summary>Codec of <see cref="DateTime"/>: <see cref="WireType.Fixed64"/> holding the ticks in bits 0-61 and
/// the <see cref="DateTimeKind"/> in bits 62-63. Round-trips ticks and kind exactly (a Local time keeps its
/// wall-clock ticks; it is not converted through the time zone).</summary>
public sealed class DateTimeCodec : IFieldCodec<DateTime>
{
    private const ulong TicksMask = (1UL << 62) - 1;

    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, DateTime value)
    {
        writer.WriteTag(fieldId, WireType.Fixed64);
        writer.WriteFixed64((ulong)value.Ticks | ((ulong)value.Kind << 62));
    }

    /// <inheritdoc />
    public static DateTime ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.Fixed64, "DateTime");
        ulong v = reader.ReadFixed64();
        ulong kind = v >> 62;
        ulong ticks = v & TicksMask;
        if (kind > (ulong)DateTimeKind.Local) throw CodecHelpers.OutOfRange("DateTime kind", kind);
        if (ticks > (ulong)DateTime.MaxValue.Ticks) throw CodecHelpers.OutOfRange("DateTime", ticks);
        return new DateTime((long)ticks, (DateTimeKind)kind);
    }
}

/// <summary>Codec of <see cref="DateTimeOffset"/>: a <see cref="WireType.StartObject"/> with field 0 the local
/// clock ticks (<see cref="DateTimeOffset.Ticks"/>, zig-zag VarInt) and field 1 the offset in minutes (zig-zag VarInt).</summary>
public sealed class DateTimeOffsetCodec : IFieldCodec<DateTimeOffset>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, DateTimeOffset value)
    {
        writer.WriteStartObject(fieldId);
        writer.WriteTag(0, WireType.VarInt);
        writer.WriteVarInt64(value.Ticks);
        writer.WriteTag(1, WireType.VarInt);
        writer.WriteVarInt64(value.TotalOffsetMinutes);
        writer.WriteEndObject();
    }

    /// <inheritdoc />
    public static DateTimeOffset ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.StartObject, "DateTimeOffset");
        reader.EnterObject();
        long ticks = 0, minutes = 0;
        while (true)
        {
            var (id, wt) = reader.ReadTag();
            if (wt == WireType.EndObject) break;
            if (id == 0 && wt == WireType.VarInt) ticks = reader.ReadVarInt64();
            else if (id == 1 && wt == WireType.VarInt) minutes = reader.ReadVarInt64();
            else reader.SkipField(wt);
        }
        reader.LeaveObject();
        if (ticks < 0 || ticks > DateTime.MaxValue.Ticks) throw CodecHelpers.OutOfRange("DateTimeOffset ticks", ticks);
        if (minutes < -14 * 60 || minutes > 14 * 60) throw CodecHelpers.OutOfRange("DateTimeOffset offset minutes", minutes);
        long utcTicks = ticks - minutes * TimeSpan.TicksPerMinute;
        if (utcTicks < 0 || utcTicks > DateTime.MaxValue.Ticks)
            throw new SerializationException($"DateTimeOffset: ticks {ticks} with offset {minutes} min is outside the representable range.");
        return new DateTimeOffset(ticks, TimeSpan.FromMinutes(minutes));
    }
}

/// <summary>Codec of <see cref="TimeSpan"/>: its ticks as a zig-zag <see cref="WireType.VarInt"/>.</summary>
public sealed class TimeSpanCodec : IFieldCodec<TimeSpan>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, TimeSpan value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarInt64(value.Ticks);
    }

    /// <inheritdoc />
    public static TimeSpan ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "TimeSpan");
        return new TimeSpan(reader.ReadVarInt64());
    }
}

/// <summary>Codec of <see cref="byte"/> arrays: <see cref="WireType.LengthPrefixed"/>. Null writes nothing.</summary>
#nullable disable annotations
public sealed class ByteArrayCodec : IFieldCodec<byte[]>
#nullable restore annotations
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, byte[]? value)
    {
        if (value is null) return;
        writer.WriteTag(fieldId, WireType.LengthPrefixed);
        writer.WriteLengthPrefixed(value);
    }

    /// <inheritdoc />
    public static byte[] ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.LengthPrefixed, "Byte[]");
        return reader.ReadLengthPrefixed().ToArray();
    }
}

/// <summary>Codec of <see cref="Nullable{T}"/> through the codec of <typeparamref name="T"/>. Null writes
/// nothing (a missing field reads back as null); a field of wire type <see cref="WireType.Null"/> also reads as null.</summary>
/// <typeparam name="T">The underlying value type.</typeparam>
/// <typeparam name="TCodec">Its codec.</typeparam>
#nullable disable annotations
public sealed class NullableCodec<T, TCodec> : IFieldCodec<T?>
    where T : struct
    where TCodec : IFieldCodec<T>
#nullable restore annotations
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, T? value)
    {
        if (value.HasValue) TCodec.WriteField(ref writer, fieldId, value.GetValueOrDefault());
    }

    /// <inheritdoc />
    public static T? ReadValue(ref CodecReader reader, WireType wireType) =>
        wireType == WireType.Null ? null : TCodec.ReadValue(ref reader, wireType);
}
