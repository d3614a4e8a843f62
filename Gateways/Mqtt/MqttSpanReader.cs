using System.Buffers;
using System.Buffers.Binary;
using System.Text.Unicode;

namespace Imv.Gateways.Mqtt;

/// <summary>Reads MQTT primitive types from a packet body; every underflow or malformed value is an
/// <see cref="MqttDecodeException"/>.</summary>
internal ref struct MqttSpanReader
{
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public MqttSpanReader(ReadOnlySpan<byte> span)
    {
        _span = span;
        _position = 0;
    }

    public readonly int Remaining => _span.Length - _position;

    public readonly int Position => _position;

    public byte ReadByte()
    {
        if (_position >= _span.Length) throw Truncated("byte");
        return _span[_position++];
    }

    public ushort ReadUInt16()
    {
        if (Remaining < 2) throw Truncated("two-byte integer");
        var value = BinaryPrimitives.ReadUInt16BigEndian(_span.Slice(_position));
        _position += 2;
        return value;
    }

    public uint ReadUInt32()
    {
        if (Remaining < 4) throw Truncated("four-byte integer");
        var value = BinaryPrimitives.ReadUInt32BigEndian(_span.Slice(_position));
        _position += 4;
        return value;
    }

    public uint ReadVariableByteInteger()
    {
        uint value = 0;
        for (var i = 0; i < 4; i++)
        {
            var b = ReadByte();
            value |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) return value;
        }
        throw new MqttDecodeException("Variable byte integer longer than 4 bytes.");
    }

    public ReadOnlySpan<byte> ReadBinary()
    {
        var length = ReadUInt16();
        if (Remaining < length) throw Truncated($"binary data of {length} bytes");
        var slice = _span.Slice(_position, length);
        _position += length;
        return slice;
    }

    public ReadOnlySpan<byte> ReadBytes(int length)
    {
        if (length < 0 || Remaining < length) throw Truncated($"{length} bytes");
        var slice = _span.Slice(_position, length);
        _position += length;
        return slice;
    }

    public string ReadString(string what, MqttTopicCache? cache = null)
    {
        var bytes = ReadBinary();
        return DecodeUtf8(bytes, what, cache);
    }

    public ReadOnlySpan<byte> ReadRest()
    {
        var slice = _span.Slice(_position);
        _position = _span.Length;
        return slice;
    }

    /// <summary>Decodes an MQTT UTF-8 string: well-formed UTF-8 without U+0000 (MQTT-1.5.4-1, -2).</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, string what, MqttTopicCache? cache = null)
    {
        if (bytes.IsEmpty) return string.Empty;
        char[]? rented = null;
        Span<char> chars = bytes.Length <= 256 ? stackalloc char[bytes.Length] : (rented = ArrayPool<char>.Shared.Rent(bytes.Length));
        try
        {
            var status = Utf8.ToUtf16(bytes, chars, out _, out var written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done) throw new MqttDecodeException($"{what} is not valid UTF-8.");
            var text = chars.Slice(0, written);
            if (text.Contains('\0')) throw new MqttDecodeException($"{what} contains the null character U+0000.");
            return cache is null ? new string(text) : cache.Get(text);
        }
        finally
        {
            if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        }
    }

    private readonly MqttDecodeException Truncated(string what) =>
        new($"Packet truncated: expected {what} at offset {_position}, {Remaining} bytes left.");
}
