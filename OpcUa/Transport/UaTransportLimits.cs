namespace Imv.Gateways.OpcUa.Transport;

/// <summary>The buffer and message limits of one side of an OPC UA TCP connection (Hello/Acknowledge).
/// 0 for MaxMessageSize or MaxChunkCount means "no limit" on the wire; this client always sets both.</summary>
/// <param name="ReceiveBufferSize">Largest chunk this side accepts.</param>
/// <param name="SendBufferSize">Largest chunk this side sends.</param>
/// <param name="MaxMessageSize">Largest assembled message body this side accepts.</param>
/// <param name="MaxChunkCount">Most chunks per message this side accepts.</param>
public sealed record UaTransportLimits(uint ReceiveBufferSize, uint SendBufferSize, uint MaxMessageSize, uint MaxChunkCount)
{
    /// <summary>Smallest chunk size the spec allows.</summary>
    public const uint MinimumBufferSize = 8192;

    /// <summary>The client's defaults: 64 KiB chunks, 16 MiB messages, 4,096 chunks.</summary>
    public static UaTransportLimits Default { get; } = new(65535, 65535, 16 * 1024 * 1024, 4096);
}
