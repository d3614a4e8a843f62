using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Imv.Runtime.Serialization;

/// <summary>Writes tagged fields into a growable buffer rented from <see cref="ArrayPool{T}"/>.
/// Call <see cref="Dispose"/> to return the buffer.</summary>
public ref struct CodecWriter
{
    private byte[] _buffer;
    private int _position;

    /// <summary>Creates a writer with the default initial capacity (256 bytes). Declared explicitly: with only an
    /// optional-parameter constructor, <c>new CodecWriter()</c> would be <c>default</c> and have no buffer.</summary>
    public CodecWriter() : this(256) { }

    /// <summary>Creates a writer with an initial capacity.</summary>
    public CodecWriter(int initialCapacity)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
        _position = 0;
        Session = null;
    }

    /// <summary>Per-message context (grain references need it); may be null.</summary>
    public SerializerSession? Session { get; set; }

    /// <summary>The bytes written so far.</summary>
    public readonly ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _position);

    /// <summary>How many bytes were written.</summary>
    public readonly int Length => _position;

    /// <summary>A copy of the bytes written.</summary>
    public readonly byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Returns the buffer to the pool.</summary>
    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer is { Length: > 0 }) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Writes a field tag.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteTag(uint fieldId, WireType wireType) => WriteVarUInt64(((ulong)fieldId << 3) | (byte)wireType);

    /// <summary>Writes an unsigned varint.</summary>
    public void WriteVarUInt64(ulong value)
    {
        Ensure(10);
        var span = _buffer.AsSpan(_position);
        int i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        span[i++] = (byte)value;
        _position += i;
    }

    /// <summary>Writes a signed varint (zig-zag).</summary>
    public void WriteVarInt64(long value) => WriteVarUInt64((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>Writes eight little-endian bytes.</summary>
    public void WriteFixed64(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_position), value);
        _position += 8;
    }

    /// <summary>Writes four little-endian bytes.</summary>
    public void WriteFixed32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    /// <summary>Writes a length prefix and the bytes.</summary>
    public void WriteLengthPrefixed(scoped ReadOnlySpan<byte> bytes)
    {
        WriteVarUInt64((ulong)bytes.Length);
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_position));
        _position += bytes.Length;
    }

    /// <summary>Writes a length prefix and the string as UTF-8.</summary>
    public void WriteUtf8(string value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max < 128)
        {
            Ensure(max + 1);
            int n = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position + 1));
            _buffer[_position] = (byte)n;
            _position += n + 1;
            return;
        }
        int count = Encoding.UTF8.GetByteCount(value);
        WriteVarUInt64((ulong)count);
        Ensure(count);
        Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position));
        _position += count;
    }

    /// <summary>Writes raw bytes with no prefix.</summary>
    public void WriteRaw(scoped ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_position));
        _position += bytes.Length;
    }

    /// <summary>Opens a nested object as field <paramref name="fieldId"/>.</summary>
    public void WriteStartObject(uint fieldId) => WriteTag(fieldId, WireType.StartObject);

    /// <summary>Closes the innermost nested object.</summary>
    public void WriteEndObject() => WriteTag(0, WireType.EndObject);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int count)
    {
        if (_buffer.Length - _position < count) Grow(count);
    }

    private void Grow(int count)
    {
        var next = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + count));
        _buffer.AsSpan(0, _position).CopyTo(next);
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = next;
    }
}
