using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Imv.OpcUa.Tests;

/// <summary>A scripted server that answers Hello and OpenSecureChannel properly, then misbehaves on the
/// first request. The client must fail that request with a clear, named error, and close the channel
/// when the stream can no longer be trusted.</summary>
public sealed class MisbehavingServerTests
{
    private static byte[] Encode(Action<UaBinaryWriter> write)
    {
        using var w = new UaBinaryWriter();
        write(w);
        return w.WrittenSpan.ToArray();
    }

    private static async Task<byte[]> ReadMessageAsync(NetworkStream stream)
    {
        var header = new byte[8];
        await stream.ReadExactlyAsync(header);
        var size = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(4));
        var message = new byte[size];
        header.CopyTo(message, 0);
        await stream.ReadExactlyAsync(message.AsMemory(8));
        return message;
    }

    private static byte[] Chunk(string type, uint sequence, uint requestId, byte[] body, uint? declaredSize = null, char chunkType = 'F') => Encode(w =>
    {
        w.WriteRaw(System.Text.Encoding.ASCII.GetBytes(type));
        w.WriteByte((byte)chunkType);
        w.WriteUInt32(declaredSize ?? (uint)(24 + body.Length));
        w.WriteUInt32(1);
        w.WriteUInt32(1);
        w.WriteUInt32(sequence);
        w.WriteUInt32(requestId);
        w.WriteRaw(body);
    });

    private static void ResponseHeader(UaBinaryWriter w, uint result = 0)
    {
        w.WriteDateTime(DateTime.UtcNow);
        w.WriteUInt32(1);
        w.WriteUInt32(result);
        w.WriteByte(0);
        w.WriteInt32(-1);
        w.WriteExtensionObject(null);
    }

    private static async Task ServeAsync(TcpListener listener, string behaviour)
    {
        using var socket = await listener.AcceptSocketAsync();
        await using var stream = new NetworkStream(socket);
        await ReadMessageAsync(stream); // HEL
        await stream.WriteAsync(Encode(w =>
        {
            w.WriteRaw("ACKF"u8);
            w.WriteUInt32(28);
            w.WriteUInt32(0);
            w.WriteUInt32(65536);
            w.WriteUInt32(65536);
            w.WriteUInt32(1 << 20);
            w.WriteUInt32(64);
        }));
        var open = await ReadMessageAsync(stream);
        var requestIdOfOpen = ReadRequestId(open, asymmetric: true);
        var policy = System.Text.Encoding.UTF8.GetBytes(SecurityPolicyNone.PolicyUri);
        var openBody = Encode(w =>
        {
            w.WriteNodeId(new NodeId(449));
            ResponseHeader(w);
            w.WriteUInt32(0);
            w.WriteUInt32(1); // channel
            w.WriteUInt32(1); // token
            w.WriteDateTime(DateTime.UtcNow);
            w.WriteUInt32(600000);
            w.WriteByteString([]);
        });
        await stream.WriteAsync(Encode(w =>
        {
            w.WriteRaw("OPNF"u8);
            w.WriteUInt32((uint)(8 + 4 + 4 + policy.Length + 8 + 8 + openBody.Length));
            w.WriteUInt32(1);
            w.WriteByteString(policy);
            w.WriteInt32(-1);
            w.WriteInt32(-1);
            w.WriteUInt32(1);
            w.WriteUInt32(requestIdOfOpen);
            w.WriteRaw(openBody);
        }));
        var request = await ReadMessageAsync(stream);
        var requestId = ReadRequestId(request, asymmetric: false);
        byte[] reply = behaviour switch
        {
            "oversize" => Chunk("MSG", 2, requestId, [1, 2, 3], declaredSize: 50_000_000),
            "undersize" => Chunk("MSG", 2, requestId, [], declaredSize: 9),
            "bad-type" => Encode(w => { w.WriteRaw("XYZF"u8); w.WriteUInt32(24); w.WriteRaw(new byte[16]); }),
            "error" => Encode(w => { w.WriteRaw("ERRF"u8); w.WriteUInt32(20); w.WriteUInt32(StatusCode.BadTcpInternalError); w.WriteString("boom"); }),
            "fault" => Chunk("MSG", 2, requestId, Encode(w => { w.WriteNodeId(new NodeId(397)); ResponseHeader(w, StatusCode.BadNodeIdUnknown); })),
            "unknown-type" => Chunk("MSG", 2, requestId, Encode(w => { w.WriteNodeId(new NodeId(9999)); ResponseHeader(w); })),
            "bad-sequence" => Chunk("MSG", 77, requestId, Encode(w => { w.WriteNodeId(new NodeId(634)); ResponseHeader(w); w.WriteInt32(0); w.WriteInt32(0); })),
            "garbage-body" => Chunk("MSG", 2, requestId, [0x05, 0xFF, 0xFF, 0xFF]),
            _ => [],
        };
        if (reply.Length > 0) await stream.WriteAsync(reply);
        // Keep the connection open (a silent server) until the client gives up.
        try
        {
            await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or SocketException)
        {
            // The client closed or the test ended.
        }
    }

    private static uint ReadRequestId(byte[] message, bool asymmetric)
    {
        var at = 12;
        if (asymmetric)
        {
            for (var i = 0; i < 3; i++)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(message.AsSpan(at));
                at += 4 + Math.Max(0, length);
            }
        }
        else
        {
            at += 4;
        }
        return BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(at + 4));
    }

    [Theory]
    [InlineData("oversize", "BadTcpMessageTooLarge", true)]
    [InlineData("undersize", "BadTcpMessageTypeInvalid", true)]
    [InlineData("bad-type", "BadTcpMessageTypeInvalid", true)]
    [InlineData("error", "BadTcpInternalError", true)]
    [InlineData("bad-sequence", "BadSequenceNumberInvalid", true)]
    [InlineData("silent", "BadTimeout", false)]
    [InlineData("fault", "BadNodeIdUnknown", false)]
    [InlineData("unknown-type", "BadUnknownResponse", false)]
    [InlineData("garbage-body", "BadDecodingError", false)]
    public async Task A_misbehaving_server_gives_a_named_error(string behaviour, string expected, bool channelCloses)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var server = ServeAsync(listener, behaviour);
        var url = $"opc.tcp://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/";
        await using var channel = await UaSecureChannel.OpenAsync(url, SecurityPolicyNone.Instance, UaTransportLimits.Default,
            TimeSpan.FromMinutes(10), TimeSpan.FromSeconds(5), NullLogger.Instance, CancellationToken.None);
        var error = await Assert.ThrowsAsync<UaServiceException>(async () =>
        {
            using var response = await channel.SendAsync(631, 0, static (w, _) => w.WriteInt32(0), TimeSpan.FromSeconds(1), CancellationToken.None);
            if (response.TypeId != 634) throw new UaServiceException(StatusCode.BadUnknownResponse, $"answered with type {response.TypeId}");
            var reader = new UaBinaryReader(response.Body);
            try
            {
                Imv.Gateways.OpcUa.Transport.ResponseHeader.Read(ref reader);
                reader.ReadArrayLength();
            }
            catch (UaDecodingException ex)
            {
                throw new UaServiceException(ex.Status, "decoding failed", ex);
            }
        });
        var names = new List<string> { error.StatusName };
        for (Exception? inner = error.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is UaServiceException s) names.Add(s.StatusName);
            if (inner is UaDecodingException d) names.Add(StatusCode.NameOf(d.Status));
        }
        Assert.Contains(expected, names);
        if (channelCloses)
        {
            var reason = await channel.Closed.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.NotNull(reason);
            Assert.Contains(expected, reason!.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(channel.IsOpen);
        }
        await channel.DisposeAsync();
        await server.WaitAsync(TimeSpan.FromSeconds(15));
    }
}
