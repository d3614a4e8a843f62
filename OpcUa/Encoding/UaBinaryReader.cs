using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>Decodes the OPC UA binary encoding (OPC 10000-6 §5.2) from a span. Every read is bounds
/// checked and every length validated against what is left and the configured limits, so a malformed
/// or hostile message ends in a <see cref="UaDecodingException"/>, never in an out-of-range access
/// or an allocation sized by the peer.</summary>
internal ref struct UaBinaryReader
{
    /// <summary>Nesting limit for Variants, DataValues and DiagnosticInfos inside each other.</summary>
    public const int MaxDepth = 32;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;
    private int _depth;

    public UaBinaryReader(ReadOnlySpan<byte> buffer, int maxStringLength = 16 * 1024 * 1024, int maxArrayLength = 1024 * 1024, int depth = 0)
    {
        _buffer = buffer;
        _position = 0;
        _depth = depth;
        if (depth > MaxDepth)
            throw new UaDecodingException($"Nesting deeper than {MaxDepth} levels.", StatusCode.BadEncodingLimitsExceeded);
        MaxStringLength = maxStringLength;
        MaxArrayLength = maxArrayLength;
    }

    public int MaxStringLength { get; }

    public int MaxArrayLength { get; }

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _position)) ThrowTruncated(count);
        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    private readonly void ThrowTruncated(int count) =>
        throw new UaDecodingException($"Message truncated: needed {count} bytes at offset {_position}, {Remaining} left.");

    public void Skip(int count) => Take(count);

    public ReadOnlySpan<byte> ReadRaw(int count) => Take(count);

    public bool ReadBoolean() => Take(1)[0] != 0;
    public sbyte ReadSByte() => (sbyte)Take(1)[0];
    public byte ReadByte() => Take(1)[0];
    public short ReadInt16() => BinaryPrimitives.ReadInt16LittleEndian(Take(2));
    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));
    public ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    public float ReadFloat() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));
    public double ReadDouble() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    /// <summary>Reads a DateTime; 0 and values before 1601 or beyond .NET's range clamp as the spec says.</summary>
    public DateTime ReadDateTime() => UaDateTime.FromFileTime(ReadInt64());

    public Guid ReadGuid() => new(Take(16));

    public string? ReadString()
    {
        var length = ReadInt32();
        if (length < 0)
        {
            if (length != -1) throw new UaDecodingException($"String length {length} is negative.");
            return null;
        }
        if (length > MaxStringLength)
            throw new UaDecodingException($"String length {length} exceeds the limit {MaxStringLength}.", StatusCode.BadEncodingLimitsExceeded);
        return System.Text.Encoding.UTF8.GetString(Take(length));
    }

    public byte[]? ReadByteString()
    {
        var length = ReadInt32();
        if (length < 0)
        {
            if (length != -1) throw new UaDecodingException($"ByteString length {length} is negative.");
            return null;
        }
        if (length > MaxStringLength)
            throw new UaDecodingException($"ByteString length {length} exceeds the limit {MaxStringLength}.", StatusCode.BadEncodingLimitsExceeded);
        return Take(length).ToArray();
    }

    public XmlElementText ReadXmlElement() => new(ReadString());

    public StatusCode ReadStatusCode() => new(ReadUInt32());

    public NodeId ReadNodeId() => ReadNodeIdBody(ReadByte());

    private NodeId ReadNodeIdBody(byte encoding)
    {
        switch (encoding & 0x3F)
        {
            case 0: return new NodeId(ReadByte());
            case 1:
                {
                    var ns = ReadByte();
                    return new NodeId(ReadUInt16(), ns);
                }
            case 2:
                {
                    var ns = ReadUInt16();
                    return new NodeId(ReadUInt32(), ns);
                }
            case 3:
                {
                    var ns = ReadUInt16();
                    return new NodeId(ReadString() ?? "", ns);
                }
            case 4:
                {
                    var ns = ReadUInt16();
                    return new NodeId(ReadGuid(), ns);
                }
            case 5:
                {
                    var ns = ReadUInt16();
                    return new NodeId(ReadByteString() ?? [], ns);
                }
            default:
                throw new UaDecodingException($"Unknown NodeId encoding 0x{encoding:X2}.");
        }
    }

    public ExpandedNodeId ReadExpandedNodeId()
    {
        var encoding = ReadByte();
        if ((encoding & 0x3F) > 5) throw new UaDecodingException($"Unknown ExpandedNodeId encoding 0x{encoding:X2}.");
        var nodeId = ReadNodeIdBody(encoding);
        var uri = (encoding & 0x80) != 0 ? ReadString() : null;
        var server = (encoding & 0x40) != 0 ? ReadUInt32() : 0;
        return new ExpandedNodeId(nodeId, uri, server);
    }

    public QualifiedName ReadQualifiedName()
    {
        var ns = ReadUInt16();
        return new QualifiedName(ns, ReadString());
    }

    public LocalizedText ReadLocalizedText()
    {
        var mask = ReadByte();
        if ((mask & 0xFC) != 0) throw new UaDecodingException($"LocalizedText mask 0x{mask:X2} has unknown bits.");
        var locale = (mask & 1) != 0 ? ReadString() : null;
        var text = (mask & 2) != 0 ? ReadString() : null;
        return new LocalizedText(locale, text);
    }

    /// <summary>Reads an extension object, decoding the body when <see cref="KnownStructures"/> knows
    /// the type and keeping it opaque otherwise.</summary>
    public ExtensionObject ReadExtensionObject()
    {
        var typeId = ReadNodeId();
        var encoding = ReadByte();
        switch (encoding)
        {
            case 0:
                return new ExtensionObject(typeId, 0, []);
            case 1:
            case 2:
                {
                    var length = ReadInt32();
                    if (length < 0) return new ExtensionObject(typeId, encoding, []);
                    if (length > MaxStringLength)
                        throw new UaDecodingException($"ExtensionObject body length {length} exceeds the limit {MaxStringLength}.", StatusCode.BadEncodingLimitsExceeded);
                    var body = Take(length);
                    var decoded = encoding == 1 ? KnownStructures.TryDecode(typeId, body, _depth + 1, MaxStringLength, MaxArrayLength) : null;
                    // A decoded structure does not keep its bytes: a notification message body can be
                    // hundreds of kilobytes, and copying it would put it on the large object heap.
                    return new ExtensionObject(typeId, encoding, decoded is null ? body.ToArray() : []) { Decoded = decoded };
                }
            default:
                throw new UaDecodingException($"Unknown ExtensionObject encoding {encoding}.");
        }
    }

    public DataValue ReadDataValue()
    {
        Enter();
        var mask = ReadByte();
        if ((mask & 0xC0) != 0) throw new UaDecodingException($"DataValue mask 0x{mask:X2} has unknown bits.");
        var value = new DataValue();
        if ((mask & 0x01) != 0) value.Value = ReadVariant();
        if ((mask & 0x02) != 0) value.StatusCode = ReadUInt32();
        if ((mask & 0x04) != 0) value.SourceTimestamp = ReadDateTime();
        if ((mask & 0x10) != 0) value.SourcePicoseconds = ReadUInt16();
        if ((mask & 0x08) != 0) value.ServerTimestamp = ReadDateTime();
        if ((mask & 0x20) != 0) value.ServerPicoseconds = ReadUInt16();
        _depth--;
        return value;
    }

    public DiagnosticInfo ReadDiagnosticInfo()
    {
        Enter();
        var mask = ReadByte();
        if ((mask & 0x80) != 0) throw new UaDecodingException($"DiagnosticInfo mask 0x{mask:X2} has unknown bits.");
        var symbolicId = (mask & 0x01) != 0 ? ReadInt32() : -1;
        var namespaceUri = (mask & 0x02) != 0 ? ReadInt32() : -1;
        var locale = (mask & 0x08) != 0 ? ReadInt32() : -1;
        var text = (mask & 0x04) != 0 ? ReadInt32() : -1;
        var info = (mask & 0x10) != 0 ? ReadString() : null;
        uint? inner = (mask & 0x20) != 0 ? ReadUInt32() : null;
        var innerInfo = (mask & 0x40) != 0 ? ReadDiagnosticInfo() : null;
        _depth--;
        return new DiagnosticInfo
        {
            SymbolicId = symbolicId,
            NamespaceUri = namespaceUri,
            Locale = locale,
            LocalizedText = text,
            AdditionalInfo = info,
            InnerStatusCode = inner,
            Inner = innerInfo,
        };
    }

    private void Enter()
    {
        if (++_depth > MaxDepth)
            throw new UaDecodingException($"Nesting deeper than {MaxDepth} levels.", StatusCode.BadEncodingLimitsExceeded);
    }

    public Variant ReadVariant()
    {
        var mask = ReadByte();
        var type = (BuiltInType)(mask & 0x3F);
        if (type > BuiltInType.DiagnosticInfo)
            throw new UaDecodingException($"Variant has unknown built-in type id {(int)type}.");
        if ((mask & 0x80) == 0)
        {
            if ((mask & 0x40) != 0) throw new UaDecodingException("Variant scalar carries array dimensions.");
            if (type == BuiltInType.Variant) throw new UaDecodingException("Variant cannot contain a scalar Variant.");
            return ReadScalar(type);
        }
        Enter();
        var length = ReadArrayLength();
        var array = ReadArrayBody(type, length < 0 ? 0 : length);
        int[]? dims = null;
        if ((mask & 0x40) != 0)
        {
            var rank = ReadArrayLength();
            if (rank < 1) throw new UaDecodingException($"Matrix has {rank} dimensions.");
            dims = new int[rank];
            long product = 1;
            for (var i = 0; i < rank; i++)
            {
                dims[i] = ReadInt32();
                if (dims[i] < 0) throw new UaDecodingException($"Matrix dimension {i} is {dims[i]}.");
                product *= dims[i];
                if (product > array.Length) break;
            }
            if (product != array.Length)
                throw new UaDecodingException($"Matrix dimensions [{string.Join(",", dims)}] do not match its {array.Length} elements.");
        }
        _depth--;
        return type == BuiltInType.Null ? Variant.Null : Variant.FromArray(type, array, dims);
    }

    /// <summary>Reads an array length: -1 is null, other negatives and lengths that cannot fit in the
    /// bytes left (every element takes at least one byte) are errors.</summary>
    public int ReadArrayLength()
    {
        var length = ReadInt32();
        if (length < -1) throw new UaDecodingException($"Array length {length} is negative.");
        if (length > MaxArrayLength)
            throw new UaDecodingException($"Array length {length} exceeds the limit {MaxArrayLength}.", StatusCode.BadEncodingLimitsExceeded);
        if (length > Remaining)
            throw new UaDecodingException($"Array length {length} exceeds the {Remaining} bytes left.");
        return length;
    }

    private Variant ReadScalar(BuiltInType type) => type switch
    {
        BuiltInType.Null => Variant.Null,
        BuiltInType.Boolean => Variant.FromBits(type, ReadBoolean() ? 1 : 0),
        BuiltInType.SByte => Variant.FromBits(type, ReadSByte()),
        BuiltInType.Byte => Variant.FromBits(type, ReadByte()),
        BuiltInType.Int16 => Variant.FromBits(type, ReadInt16()),
        BuiltInType.UInt16 => Variant.FromBits(type, ReadUInt16()),
        BuiltInType.Int32 => Variant.FromBits(type, ReadInt32()),
        BuiltInType.UInt32 => Variant.FromBits(type, ReadUInt32()),
        BuiltInType.Int64 => Variant.FromBits(type, ReadInt64()),
        BuiltInType.UInt64 => Variant.FromBits(type, unchecked((long)ReadUInt64())),
        BuiltInType.Float => Variant.FromBits(type, BitConverter.SingleToInt32Bits(ReadFloat())),
        BuiltInType.Double => Variant.FromBits(type, BitConverter.DoubleToInt64Bits(ReadDouble())),
        BuiltInType.DateTime => Variant.FromBits(type, ReadDateTime().Ticks),
        BuiltInType.StatusCode => Variant.FromBits(type, ReadUInt32()),
        BuiltInType.String => Variant.FromReference(type, ReadString()),
        BuiltInType.Guid => Variant.FromReference(type, ReadGuid()),
        BuiltInType.ByteString => Variant.FromReference(type, ReadByteString()),
        BuiltInType.XmlElement => Variant.FromReference(type, ReadXmlElement()),
        BuiltInType.NodeId => Variant.FromReference(type, ReadNodeId()),
        BuiltInType.ExpandedNodeId => Variant.FromReference(type, ReadExpandedNodeId()),
        BuiltInType.QualifiedName => Variant.FromReference(type, ReadQualifiedName()),
        BuiltInType.LocalizedText => Variant.FromReference(type, ReadLocalizedText()),
        BuiltInType.ExtensionObject => Variant.FromReference(type, ReadExtensionObject()),
        BuiltInType.DataValue => Variant.FromReference(type, ReadDataValue()),
        BuiltInType.DiagnosticInfo => Variant.FromReference(type, ReadDiagnosticInfo()),
        _ => throw new UaDecodingException($"Variant has unknown built-in type id {(int)type}."),
    };

    private Array ReadArrayBody(BuiltInType type, int length)
    {
        switch (type)
        {
            case BuiltInType.Null: Take(0); return Array.Empty<object>();
            case BuiltInType.Boolean: { var a = new bool[length]; for (var i = 0; i < length; i++) a[i] = ReadBoolean(); return a; }
            case BuiltInType.SByte: { var a = new sbyte[length]; for (var i = 0; i < length; i++) a[i] = ReadSByte(); return a; }
            case BuiltInType.Byte: return Take(length).ToArray();
            case BuiltInType.Int16: { var a = new short[CheckFixed(length, 2)]; for (var i = 0; i < length; i++) a[i] = ReadInt16(); return a; }
            case BuiltInType.UInt16: { var a = new ushort[CheckFixed(length, 2)]; for (var i = 0; i < length; i++) a[i] = ReadUInt16(); return a; }
            case BuiltInType.Int32: { var a = new int[CheckFixed(length, 4)]; for (var i = 0; i < length; i++) a[i] = ReadInt32(); return a; }
            case BuiltInType.UInt32: { var a = new uint[CheckFixed(length, 4)]; for (var i = 0; i < length; i++) a[i] = ReadUInt32(); return a; }
            case BuiltInType.Int64: { var a = new long[CheckFixed(length, 8)]; for (var i = 0; i < length; i++) a[i] = ReadInt64(); return a; }
            case BuiltInType.UInt64: { var a = new ulong[CheckFixed(length, 8)]; for (var i = 0; i < length; i++) a[i] = ReadUInt64(); return a; }
            case BuiltInType.Float: { var a = new float[CheckFixed(length, 4)]; for (var i = 0; i < length; i++) a[i] = ReadFloat(); return a; }
            case BuiltInType.Double: { var a = new double[CheckFixed(length, 8)]; for (var i = 0; i < length; i++) a[i] = ReadDouble(); return a; }
            case BuiltInType.String: { var a = new string[CheckFixed(length, 4)]; for (var i = 0; i < length; i++) a[i] = ReadString()!; return a; }
            case BuiltInType.DateTime: { var a = new DateTime[CheckFixed(length, 8)]; for (var i = 0; i < length; i++) a[i] = ReadDateTime(); return a; }
            case BuiltInType.Guid: { var a = new Guid[CheckFixed(length, 16)]; for (var i = 0; i < length; i++) a[i] = ReadGuid(); return a; }
            case BuiltInType.ByteString: { var a = new byte[CheckFixed(length, 4)][]; for (var i = 0; i < length; i++) a[i] = ReadByteString()!; return a; }
            case BuiltInType.XmlElement: { var a = new XmlElementText[CheckFixed(length, 4)]; for (var i = 0; i < length; i++) a[i] = ReadXmlElement(); return a; }
            case BuiltInType.NodeId: { var a = new NodeId[CheckFixed(length, 2)]; for (var i = 0; i < length; i++) a[i] = ReadNodeId(); return a; }
            case BuiltInType.ExpandedNodeId: { var a = new ExpandedNodeId[CheckFixed(length, 2)]; for (var i = 0; i < length; i++) a[i] = ReadExpandedNodeId(); return a; }
            case BuiltInType.StatusCode: { var a = new StatusCode[CheckFixed(length, 4)]; for (var i = 0; i < length; i++) a[i] = ReadStatusCode(); return a; }
            case BuiltInType.QualifiedName: { var a = new QualifiedName[CheckFixed(length, 6)]; for (var i = 0; i < length; i++) a[i] = ReadQualifiedName(); return a; }
            case BuiltInType.LocalizedText: { var a = new LocalizedText[length]; for (var i = 0; i < length; i++) a[i] = ReadLocalizedText(); return a; }
            case BuiltInType.ExtensionObject: { var a = new ExtensionObject[CheckFixed(length, 3)]; for (var i = 0; i < length; i++) a[i] = ReadExtensionObject(); return a; }
            case BuiltInType.DataValue: { var a = new DataValue[length]; for (var i = 0; i < length; i++) a[i] = ReadDataValue(); return a; }
            case BuiltInType.Variant: { var a = new Variant[length]; for (var i = 0; i < length; i++) a[i] = ReadVariant(); return a; }
            case BuiltInType.DiagnosticInfo: { var a = new DiagnosticInfo[length]; for (var i = 0; i < length; i++) a[i] = ReadDiagnosticInfo(); return a; }
            default: throw new UaDecodingException($"Variant array has unknown built-in type id {(int)type}.");
        }
    }

    /// <summary>Rejects an array whose fixed-size elements cannot fit in what is left before allocating it.</summary>
    private readonly int CheckFixed(int length, int minElementSize)
    {
        if ((long)length * minElementSize > Remaining)
            throw new UaDecodingException($"Array of {length} elements needs at least {(long)length * minElementSize} bytes, {Remaining} left.");
        return length;
    }

    /// <summary>Reads an array of structures with the given element reader; null arrays read as empty.</summary>
    public T[] ReadArray<T>(ElementReader<T> read)
    {
        var length = ReadArrayLength();
        if (length <= 0) return [];
        var result = new T[length];
        for (var i = 0; i < length; i++) result[i] = read(ref this);
        return result;
    }

    public string[] ReadStringArray() => ReadArray(static (ref UaBinaryReader r) => r.ReadString() ?? "");

    public uint[] ReadUInt32Array()
    {
        var length = ReadArrayLength();
        if (length <= 0) return [];
        var a = new uint[CheckFixed(length, 4)];
        for (var i = 0; i < length; i++) a[i] = ReadUInt32();
        return a;
    }

    /// <summary>Reads and discards a DiagnosticInfo array (responses carry them; the client logs none).</summary>
    public void SkipDiagnosticInfos()
    {
        var length = ReadArrayLength();
        for (var i = 0; i < length; i++) ReadDiagnosticInfo();
    }
}
