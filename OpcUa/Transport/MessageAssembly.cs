using System.Buffers;

namespace Imv.Gateways.OpcUa.Transport;

/// <summary>Collects the chunk bodies of one response in a pooled buffer, within the negotiated message
/// size and chunk count. A response that goes beyond them is drained and reported, never buffered.</summary>
internal sealed class MessageAssembly : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _length;
    private int _chunks;

    /// <summary>Why the message was dropped, when it exceeded a limit.</summary>
    public string? Overflow { get; private set; }

    public void Append(ReadOnlySpan<byte> body, UaTransportLimits limits)
    {
        _chunks++;
        if (Overflow is not null) return;
        if (limits.MaxChunkCount != 0 && _chunks > limits.MaxChunkCount)
        {
            Overflow = $"exceeds the limit of {limits.MaxChunkCount} chunks";
            return;
        }
        if (limits.MaxMessageSize != 0 && (long)_length + body.Length > limits.MaxMessageSize)
        {
            Overflow = $"exceeds the message size limit of {limits.MaxMessageSize} bytes";
            return;
        }
        if (_buffer.Length - _length < body.Length)
        {
            var next = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + body.Length));
            _buffer.AsSpan(0, _length).CopyTo(next);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = next;
        }
        body.CopyTo(_buffer.AsSpan(_length));
        _length += body.Length;
    }

    /// <summary>Hands the assembled buffer over (the caller returns it to the pool).</summary>
    public byte[] Detach(out int length)
    {
        length = _length;
        var buffer = _buffer;
        _buffer = [];
        return buffer;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
