using System.Buffers;
using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Transport;

/// <summary>One assembled response message: its encoding id and its body, in a pooled buffer that goes
/// back to the pool on <see cref="Dispose"/>.</summary>
internal sealed class UaResponse : IDisposable
{
    private byte[]? _buffer;
    private readonly int _offset;
    private readonly int _length;

    public UaResponse(byte[] buffer, int offset, int length, uint typeId)
    {
        _buffer = buffer;
        _offset = offset;
        _length = length;
        TypeId = typeId;
    }

    /// <summary>The numeric id of the response's binary encoding (namespace 0).</summary>
    public uint TypeId { get; }

    /// <summary>The encoded response, starting with its ResponseHeader.</summary>
    public ReadOnlySpan<byte> Body => (_buffer ?? throw new ObjectDisposedException(nameof(UaResponse))).AsSpan(_offset, _length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>Reads the leading node id of a message body and checks it is a namespace-0 numeric id.</summary>
    public static uint ReadTypeId(ReadOnlySpan<byte> body, out int consumed)
    {
        var reader = new UaBinaryReader(body);
        var typeId = reader.ReadNodeId();
        if (typeId.NamespaceIndex != 0 || typeId.IdType != NodeIdType.Numeric)
            throw new UaDecodingException($"Message type id {typeId} is not a known service.", StatusCode.BadUnknownResponse);
        consumed = reader.Position;
        return typeId.NumericId;
    }
}
