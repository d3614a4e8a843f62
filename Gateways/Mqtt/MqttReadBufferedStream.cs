namespace Imv.Gateways.Mqtt;

/// <summary>A socket stream whose reads are served from a buffer filled by large reads, and whose writes go straight
/// through. MQTTnet reads each packet with a few small reads (fixed header, length, body): on a plain socket that is
/// a system call per part, per message; with this buffer one call brings in many messages.</summary>
internal sealed class MqttReadBufferedStream(Stream inner, int bufferSize) : Stream
{
    private readonly byte[] _buffer = new byte[bufferSize];
    private int _position;
    private int _length;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        if (_position == _length)
        {
            // Large reads skip the buffer; small ones refill it with whatever the socket has.
            if (destination.Length >= _buffer.Length) return await inner.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
            _length = await inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            _position = 0;
            if (_length == 0) return 0;
        }
        var count = Math.Min(destination.Length, _length - _position);
        _buffer.AsSpan(_position, count).CopyTo(destination.Span);
        _position += count;
        return count;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> destination)
    {
        if (_position == _length)
        {
            if (destination.Length >= _buffer.Length) return inner.Read(destination);
            _length = inner.Read(_buffer);
            _position = 0;
            if (_length == 0) return 0;
        }
        var count = Math.Min(destination.Length, _length - _position);
        _buffer.AsSpan(_position, count).CopyTo(destination);
        _position += count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default) => inner.WriteAsync(source, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(ReadOnlySpan<byte> source) => inner.Write(source);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
