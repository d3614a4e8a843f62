using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>Encodes the OPC UA binary encoding into a growable buffer rented from the array pool.
/// One writer is reused per channel for every request, so encoding a request allocates nothing once
/// the buffer has grown to the largest message.</summary>
internal sealed class UaBinaryWriter : IDisposable
{
    private byte[] _buffer;
    private int _position;

    public UaBinaryWriter(int initialCapacity = 8192) => _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);

    public int Position => _position;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _position);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _position);

    /// <summary>Writable access to bytes already written (to patch sizes and headers).</summary>
    public Span<byte> WrittenSpanForPatch => _buffer.AsSpan(0, _position);

    public void Reset() => _position = 0;

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int count)
    {
        if (_buffer.Length - _position < count) Grow(count);
        var span = _buffer.AsSpan(_position, count);
        _position += count;
        return span;
    }

    private void Grow(int count)
    {
        var size = Math.Max(_buffer.Length * 2, _position + count);
        var next = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _position).CopyTo(next);
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }

    public void WriteRaw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Reserve(bytes.Length));

    public void WriteBoolean(bool value) => Reserve(1)[0] = value ? (byte)1 : (byte)0;
    public void WriteSByte(sbyte value) => Reserve(1)[0] = unchecked((byte)value);
    public void WriteByte(byte value) => Reserve(1)[0] = value;
    public void WriteInt16(short value) => BinaryPrimitives.WriteInt16LittleEndian(Reserve(2), value);
    public void WriteUInt16(ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(Reserve(2), value);
    public void WriteInt32(int value) => BinaryPrimitives.WriteInt32LittleEndian(Reserve(4), value);
    public void WriteUInt32(uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Reserve(4), value);
    public void WriteInt64(long value) => BinaryPrimitives.WriteInt64LittleEndian(Reserve(8), value);
    public void WriteUInt64(ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(Reserve(8), value);
    public void WriteFloat(float value) => BinaryPrimitives.WriteSingleLittleEndian(Reserve(4), value);
    public void WriteDouble(double value) => BinaryPrimitives.WriteDoubleLittleEndian(Reserve(8), value);
    public void WriteDateTime(DateTime value) => WriteInt64(UaDateTime.ToFileTime(value));
    public void WriteDateTime(DateTime? value) => WriteInt64(value is { } v ? UaDateTime.ToFileTime(v) : 0);

    public void WriteGuid(Guid value)
    {
        if (!value.TryWriteBytes(Reserve(16))) throw new InvalidOperationException("Guid did not fit 16 bytes.");
    }

    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_buffer.Length - _position < max + 4) Grow(max + 4);
        var length = System.Text.Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position + 4));
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(_position), length);
        _position += 4 + length;
    }

    public void WriteByteString(ReadOnlySpan<byte> value, bool isNull = false)
    {
        if (isNull)
        {
            WriteInt32(-1);
            return;
        }
        WriteInt32(value.Length);
        WriteRaw(value);
    }

    public void WriteByteString(byte[]? value)
    {
        if (value is null) WriteInt32(-1);
        else WriteByteString(value.AsSpan());
    }

    public void WriteStatusCode(uint value) => WriteUInt32(value);

    public void WriteNodeId(NodeId value) => WriteNodeId(value, 0);

    private void WriteNodeId(NodeId value, byte flags)
    {
        switch (value.IdType)
        {
            case NodeIdType.Numeric when value.NamespaceIndex == 0 && value.NumericId <= byte.MaxValue:
                WriteByte(flags);
                WriteByte((byte)value.NumericId);
                break;
            case NodeIdType.Numeric when value.NamespaceIndex <= byte.MaxValue && value.NumericId <= ushort.MaxValue:
                WriteByte((byte)(flags | 1));
                WriteByte((byte)value.NamespaceIndex);
                WriteUInt16((ushort)value.NumericId);
                break;
            case NodeIdType.Numeric:
                WriteByte((byte)(flags | 2));
                WriteUInt16(value.NamespaceIndex);
                WriteUInt32(value.NumericId);
                break;
            case NodeIdType.String:
                WriteByte((byte)(flags | 3));
                WriteUInt16(value.NamespaceIndex);
                WriteString((string)value.Identifier);
                break;
            case NodeIdType.Guid:
                WriteByte((byte)(flags | 4));
                WriteUInt16(value.NamespaceIndex);
                WriteGuid((Guid)value.Identifier);
                break;
            default:
                WriteByte((byte)(flags | 5));
                WriteUInt16(value.NamespaceIndex);
                WriteByteString((byte[])value.Identifier);
                break;
        }
    }

    public void WriteExpandedNodeId(ExpandedNodeId value)
    {
        byte flags = 0;
        if (value.NamespaceUri is not null) flags |= 0x80;
        if (value.ServerIndex != 0) flags |= 0x40;
        WriteNodeId(value.NodeId, flags);
        if (value.NamespaceUri is not null) WriteString(value.NamespaceUri);
        if (value.ServerIndex != 0) WriteUInt32(value.ServerIndex);
    }

    public void WriteQualifiedName(QualifiedName value)
    {
        WriteUInt16(value.NamespaceIndex);
        WriteString(value.Name);
    }

    public void WriteLocalizedText(LocalizedText value)
    {
        byte mask = 0;
        if (value.Locale is not null) mask |= 1;
        if (value.Text is not null) mask |= 2;
        WriteByte(mask);
        if (value.Locale is not null) WriteString(value.Locale);
        if (value.Text is not null) WriteString(value.Text);
    }

    public void WriteExtensionObject(ExtensionObject? value)
    {
        if (value is null)
        {
            WriteNodeId(NodeId.Null);
            WriteByte(0);
            return;
        }
        WriteNodeId(value.TypeId);
        WriteByte(value.Encoding);
        if (value.Encoding != 0) WriteByteString(value.Body.AsSpan());
    }

    /// <summary>Writes an extension object whose binary body is produced by <paramref name="writeBody"/>;
    /// the length is patched in afterwards so the body is encoded once, in place.</summary>
    public void WriteExtensionObject<TState>(NodeId typeId, TState state, Action<UaBinaryWriter, TState> writeBody)
    {
        WriteNodeId(typeId);
        WriteByte(1);
        var lengthAt = _position;
        WriteInt32(0);
        writeBody(this, state);
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(lengthAt), _position - lengthAt - 4);
    }

    public void WriteDataValue(DataValue value)
    {
        byte mask = 0;
        if (!value.Value.IsNull) mask |= 0x01;
        if (value.StatusCode != 0) mask |= 0x02;
        if (value.SourceTimestamp is not null) mask |= 0x04;
        if (value.ServerTimestamp is not null) mask |= 0x08;
        if (value.SourcePicoseconds != 0) mask |= 0x10;
        if (value.ServerPicoseconds != 0) mask |= 0x20;
        WriteByte(mask);
        if ((mask & 0x01) != 0) WriteVariant(value.Value);
        if ((mask & 0x02) != 0) WriteUInt32(value.StatusCode);
        if ((mask & 0x04) != 0) WriteDateTime(value.SourceTimestamp!.Value);
        if ((mask & 0x10) != 0) WriteUInt16(value.SourcePicoseconds);
        if ((mask & 0x08) != 0) WriteDateTime(value.ServerTimestamp!.Value);
        if ((mask & 0x20) != 0) WriteUInt16(value.ServerPicoseconds);
    }

    public void WriteDiagnosticInfo(DiagnosticInfo? value)
    {
        if (value is null)
        {
            WriteByte(0);
            return;
        }
        byte mask = 0;
        if (value.SymbolicId >= 0) mask |= 0x01;
        if (value.NamespaceUri >= 0) mask |= 0x02;
        if (value.LocalizedText >= 0) mask |= 0x04;
        if (value.Locale >= 0) mask |= 0x08;
        if (value.AdditionalInfo is not null) mask |= 0x10;
        if (value.InnerStatusCode is not null) mask |= 0x20;
        if (value.Inner is not null) mask |= 0x40;
        WriteByte(mask);
        if ((mask & 0x01) != 0) WriteInt32(value.SymbolicId);
        if ((mask & 0x02) != 0) WriteInt32(value.NamespaceUri);
        if ((mask & 0x08) != 0) WriteInt32(value.Locale);
        if ((mask & 0x04) != 0) WriteInt32(value.LocalizedText);
        if ((mask & 0x10) != 0) WriteString(value.AdditionalInfo);
        if ((mask & 0x20) != 0) WriteUInt32(value.InnerStatusCode!.Value);
        if ((mask & 0x40) != 0) WriteDiagnosticInfo(value.Inner);
    }

    public void WriteVariant(Variant value)
    {
        var type = value.Type;
        if (!value.IsArray)
        {
            WriteByte((byte)type);
            WriteScalar(type, value);
            return;
        }
        var array = (Array)value.Reference!;
        WriteByte((byte)((byte)type | 0x80 | (value.Dimensions is null ? 0 : 0x40)));
        WriteInt32(array.Length);
        WriteArrayBody(type, array);
        if (value.Dimensions is { } dims)
        {
            WriteInt32(dims.Length);
            foreach (var d in dims) WriteInt32(d);
        }
    }

    private void WriteScalar(BuiltInType type, Variant value)
    {
        var bits = value.Bits;
        switch (type)
        {
            case BuiltInType.Null: break;
            case BuiltInType.Boolean: WriteBoolean(bits != 0); break;
            case BuiltInType.SByte: WriteSByte((sbyte)bits); break;
            case BuiltInType.Byte: WriteByte((byte)bits); break;
            case BuiltInType.Int16: WriteInt16((short)bits); break;
            case BuiltInType.UInt16: WriteUInt16((ushort)bits); break;
            case BuiltInType.Int32: WriteInt32((int)bits); break;
            case BuiltInType.UInt32: WriteUInt32((uint)bits); break;
            case BuiltInType.Int64: WriteInt64(bits); break;
            case BuiltInType.UInt64: WriteUInt64(unchecked((ulong)bits)); break;
            case BuiltInType.Float: WriteInt32((int)bits); break;
            case BuiltInType.Double: WriteInt64(bits); break;
            case BuiltInType.DateTime: WriteDateTime(new DateTime(bits, DateTimeKind.Utc)); break;
            case BuiltInType.StatusCode: WriteUInt32((uint)bits); break;
            default: WriteObject(type, value.Reference); break;
        }
    }

    private void WriteObject(BuiltInType type, object? value)
    {
        switch (type)
        {
            case BuiltInType.Boolean: WriteBoolean((bool)value!); break;
            case BuiltInType.SByte: WriteSByte((sbyte)value!); break;
            case BuiltInType.Byte: WriteByte((byte)value!); break;
            case BuiltInType.Int16: WriteInt16((short)value!); break;
            case BuiltInType.UInt16: WriteUInt16((ushort)value!); break;
            case BuiltInType.Int32: WriteInt32((int)value!); break;
            case BuiltInType.UInt32: WriteUInt32((uint)value!); break;
            case BuiltInType.Int64: WriteInt64((long)value!); break;
            case BuiltInType.UInt64: WriteUInt64((ulong)value!); break;
            case BuiltInType.Float: WriteFloat((float)value!); break;
            case BuiltInType.Double: WriteDouble((double)value!); break;
            case BuiltInType.String: WriteString((string?)value); break;
            case BuiltInType.DateTime: WriteDateTime((DateTime)value!); break;
            case BuiltInType.Guid: WriteGuid((Guid)value!); break;
            case BuiltInType.ByteString: WriteByteString((byte[]?)value); break;
            case BuiltInType.XmlElement: WriteString(((XmlElementText)value!).Xml); break;
            case BuiltInType.NodeId: WriteNodeId((NodeId)value!); break;
            case BuiltInType.ExpandedNodeId: WriteExpandedNodeId((ExpandedNodeId)value!); break;
            case BuiltInType.StatusCode: WriteUInt32(((StatusCode)value!).Code); break;
            case BuiltInType.QualifiedName: WriteQualifiedName((QualifiedName)value!); break;
            case BuiltInType.LocalizedText: WriteLocalizedText((LocalizedText)value!); break;
            case BuiltInType.ExtensionObject: WriteExtensionObject((ExtensionObject?)value); break;
            case BuiltInType.DataValue: WriteDataValue((DataValue)value!); break;
            case BuiltInType.Variant: WriteVariant((Variant)value!); break;
            case BuiltInType.DiagnosticInfo: WriteDiagnosticInfo((DiagnosticInfo?)value); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "Not a built-in type.");
        }
    }

    private void WriteArrayBody(BuiltInType type, Array array)
    {
        switch (array)
        {
            case double[] d: foreach (var v in d) WriteDouble(v); return;
            case int[] i: foreach (var v in i) WriteInt32(v); return;
            case byte[] b: WriteRaw(b); return;
            case string[] s: foreach (var v in s) WriteString(v); return;
            case bool[] f: foreach (var v in f) WriteBoolean(v); return;
        }
        for (var i = 0; i < array.Length; i++) WriteObject(type, array.GetValue(i));
    }

    public void WriteArray<T>(IReadOnlyList<T>? items, Action<UaBinaryWriter, T> write)
    {
        if (items is null)
        {
            WriteInt32(-1);
            return;
        }
        WriteInt32(items.Count);
        for (var i = 0; i < items.Count; i++) write(this, items[i]);
    }

    public void WriteStringArray(IReadOnlyList<string>? items) => WriteArray(items, static (w, s) => w.WriteString(s));

    public void WriteUInt32Array(IReadOnlyList<uint>? items) => WriteArray(items, static (w, v) => w.WriteUInt32(v));
}
