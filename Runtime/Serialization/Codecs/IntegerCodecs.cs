namespace Imv.Runtime.Serialization.Codecs;

/// <summary>Codec of <see cref="sbyte"/>: a zig-zag <see cref="WireType.VarInt"/>.</summary>
public sealed class SByteCodec : IFieldCodec<sbyte>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, sbyte value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarInt64(value);
    }

    /// <inheritdoc />
    public static sbyte ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "SByte");
        long v = reader.ReadVarInt64();
        if (v < sbyte.MinValue || v > sbyte.MaxValue) throw CodecHelpers.OutOfRange("SByte", v);
        return (sbyte)v;
    }
}

/// <summary>Codec of <see cref="short"/>: a zig-zag <see cref="WireType.VarInt"/>.</summary>
public sealed class Int16Codec : IFieldCodec<short>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, short value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarInt64(value);
    }

    /// <inheritdoc />
    public static short ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "Int16");
        long v = reader.ReadVarInt64();
        if (v < short.MinValue || v > short.MaxValue) throw CodecHelpers.OutOfRange("Int16", v);
        return (short)v;
    }
}

/// <summary>Codec of <see cref="int"/>: a zig-zag <see cref="WireType.VarInt"/>.</summary>
public sealed class Int32Codec : IFieldCodec<int>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, int value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarInt64(value);
    }

    /// <inheritdoc />
    public static int ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "Int32");
        long v = reader.ReadVarInt64();
        if (v < int.MinValue || v > int.MaxValue) throw CodecHelpers.OutOfRange("Int32", v);
        return (int)v;
    }
}

/// <summary>Codec of <see cref="long"/>: a zig-zag <see cref="WireType.VarInt"/>.</summary>
public sealed class Int64Codec : IFieldCodec<long>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, long value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarInt64(value);
    }

    /// <inheritdoc />
    public static long ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "Int64");
        long v = reader.ReadVarInt64();
        return (long)v;
    }
}

/// <summary>Codec of <see cref="byte"/>: an unsigned <see cref="WireType.VarInt"/>.</summary>
public sealed class ByteCodec : IFieldCodec<byte>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, byte value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt64(value);
    }

    /// <inheritdoc />
    public static byte ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "Byte");
        ulong v = reader.ReadVarUInt64();
        if (v > byte.MaxValue) throw CodecHelpers.OutOfRange("Byte", v);
        return (byte)v;
    }
}

/// <summary>Codec of <see cref="ushort"/>: an unsigned <see cref="WireType.VarInt"/>.</summary>
public sealed class UInt16Codec : IFieldCodec<ushort>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, ushort value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt64(value);
    }

    /// <inheritdoc />
    public static ushort ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "UInt16");
        ulong v = reader.ReadVarUInt64();
        if (v > ushort.MaxValue) throw CodecHelpers.OutOfRange("UInt16", v);
        return (ushort)v;
    }
}

/// <summary>Codec of <see cref="uint"/>: an unsigned <see cref="WireType.VarInt"/>.</summary>
public sealed class UInt32Codec : IFieldCodec<uint>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, uint value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt64(value);
    }

    /// <inheritdoc />
    public static uint ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "UInt32");
        ulong v = reader.ReadVarUInt64();
        if (v > uint.MaxValue) throw CodecHelpers.OutOfRange("UInt32", v);
        return (uint)v;
    }
}

/// <summary>Codec of <see cref="ulong"/>: an unsigned <see cref="WireType.VarInt"/>.</summary>
public sealed class UInt64Codec : IFieldCodec<ulong>
{
    /// <inheritdoc />
    public static void WriteField(ref CodecWriter writer, uint fieldId, ulong value)
    {
        writer.WriteTag(fieldId, WireType.VarInt);
        writer.WriteVarUInt64(value);
    }

    /// <inheritdoc />
    public static ulong ReadValue(ref CodecReader reader, WireType wireType)
    {
        CodecReader.Expect(wireType, WireType.VarInt, "UInt64");
        ulong v = reader.ReadVarUInt64();
        return (ulong)v;
    }
}
