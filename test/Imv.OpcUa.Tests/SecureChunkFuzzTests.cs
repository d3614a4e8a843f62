using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Imv.OpcUa.Tests;

/// <summary>Secured chunks, valid and corrupted, fed to the receive path of a Basic256Sha256 channel.
/// The "server" side is a second policy instance with the roles swapped: its client keys are the
/// channel's server keys.</summary>
public sealed class SecureChunkFuzzTests : IDisposable
{
    private const int Iterations = 3000;
    private static readonly X509Certificate2 ClientCertificate = UaCertificateStore.CreateSelfSigned("urn:imv:fuzz:client", "Fuzz client");
    private static readonly X509Certificate2 ServerCertificate = UaCertificateStore.CreateSelfSigned("urn:imv:fuzz:server", "Fuzz server");

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<IDisposable> _disposables = [];

    public SecureChunkFuzzTests() => _listener.Start();

    public void Dispose()
    {
        foreach (var d in _disposables) d.Dispose();
        _listener.Stop();
        _listener.Dispose();
    }

    private sealed record Pair(UaSecureChannel Channel, SecurityPolicyBasic256Sha256 Server, Socket Peer);

    private async Task<Pair> CreateAsync(MessageSecurityMode mode)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync((IPEndPoint)_listener.LocalEndpoint);
        var peer = await _listener.AcceptSocketAsync();
        _disposables.Add(peer);
        var client = new SecurityPolicyBasic256Sha256(mode, ClientCertificate, ServerCertificate.RawData);
        var server = new SecurityPolicyBasic256Sha256(mode, ServerCertificate, ClientCertificate.RawData);
        _disposables.Add(client);
        _disposables.Add(server);
        var clientNonce = client.CreateClientNonce();
        var serverNonce = server.CreateClientNonce();
        client.DeriveKeys(0, clientNonce, serverNonce);
        server.DeriveKeys(0, serverNonce, clientNonce); // swapped: its "client" keys are the channel's server keys
        var channel = new UaSecureChannel(socket, "opc.tcp://fuzz", client, UaTransportLimits.Default, 60000, NullLogger.Instance);
        return new Pair(channel, server, peer);
    }

    private static byte[] Message(SecurityPolicyBasic256Sha256 server, byte[] body, uint sequence = 1)
    {
        var chunk = new byte[8192];
        "MSGF"u8.CopyTo(chunk);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(8), 0); // channel id
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(12), 0); // token id
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(16), sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(20), 77); // request id
        body.CopyTo(chunk, 24);
        var length = server.SecureSymmetricChunk(chunk, 24 + body.Length, 16, 0);
        return chunk[..length];
    }

    private static byte[] Open(SecurityPolicyBasic256Sha256 server, byte[] body)
    {
        var w = new UaBinaryWriter(8192);
        w.WriteRaw("OPNF"u8);
        w.WriteUInt32(0);
        w.WriteUInt32(0);
        w.WriteString(SecurityPolicyBasic256Sha256.PolicyUri);
        w.WriteByteString(server.ClientCertificate); // the sender: the server certificate
        w.WriteByteString(server.ServerCertificateThumbprint); // the receiver: the client certificate
        var securedFrom = w.Position;
        w.WriteUInt32(1);
        w.WriteUInt32(78);
        w.WriteRaw(body);
        var chunk = new byte[8192];
        w.WrittenSpan.CopyTo(chunk);
        var length = server.SecureAsymmetricChunk(chunk, w.Position, securedFrom);
        w.Dispose();
        return chunk[..length];
    }

    private static void Feed(UaSecureChannel channel, byte[] input)
    {
        channel.ResetReceiveState();
        var sequence = new ReadOnlySequence<byte>(input);
        while (channel.TryTakeChunk(ref sequence)) { }
    }

    [Theory]
    [InlineData(MessageSecurityMode.Sign)]
    [InlineData(MessageSecurityMode.SignAndEncrypt)]
    public async Task Valid_secured_chunks_pass_and_every_corruption_of_the_secured_part_is_refused(MessageSecurityMode mode)
    {
        var pair = await CreateAsync(mode);
        await using var _ = pair.Channel;
        var body = new byte[300];
        Random.Shared.NextBytes(body);
        var message = Message(pair.Server, body);
        var open = Open(pair.Server, body);
        Feed(pair.Channel, message);
        Feed(pair.Channel, open);
        if (mode == MessageSecurityMode.SignAndEncrypt)
            Assert.False(message.AsSpan(24).IndexOf(body.AsSpan(0, 32)) >= 0, "the body travels encrypted");

        var random = new Random(7);
        foreach (var original in new[] { message, open })
        {
            var securedFrom = original == message
                ? 16
                : 12 + 4 + SecurityPolicyBasic256Sha256.PolicyUri.Length + 4 + ServerCertificate.RawData.Length + 4 + 20;
            for (var i = 0; i < 200; i++)
            {
                var bytes = original.ToArray();
                bytes[securedFrom + random.Next(bytes.Length - securedFrom)] ^= (byte)(1 << random.Next(8));
                var error = Assert.ThrowsAny<Exception>(() => Feed(pair.Channel, bytes));
                var status = Assert.IsType<UaServiceException>(error);
                Assert.Equal("BadSecurityChecksFailed", status.StatusName);
                Assert.Matches("signature|padding|decrypt", error.Message);
            }
        }
    }

    [Theory]
    [InlineData(MessageSecurityMode.Sign)]
    [InlineData(MessageSecurityMode.SignAndEncrypt)]
    public async Task Random_mutations_of_secured_chunks_end_in_clean_errors_only(MessageSecurityMode mode)
    {
        var pair = await CreateAsync(mode);
        await using var _ = pair.Channel;
        var random = new Random(20261122 + (int)mode);
        var seeds = new List<byte[]>();
        for (var i = 0; i < 4; i++)
        {
            var body = new byte[random.Next(0, 2000)];
            random.NextBytes(body);
            seeds.Add(Message(pair.Server, body));
        }
        seeds.Add(Open(pair.Server, new byte[40]));
        var clean = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var bytes = seeds[random.Next(seeds.Count)].ToArray();
            switch (random.Next(5))
            {
                case 0: // truncate and fix the size
                    bytes = bytes[..random.Next(8, bytes.Length)];
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)bytes.Length);
                    break;
                case 1: // extend and fix the size
                    bytes = [.. bytes, .. Enumerable.Range(0, random.Next(1, 64)).Select(_ => (byte)random.Next(256))];
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)bytes.Length);
                    break;
                case 2: // a header byte
                    bytes[random.Next(Math.Min(24, bytes.Length))] ^= (byte)random.Next(1, 256);
                    break;
                default: // several bytes anywhere
                    for (var k = random.Next(1, 5); k > 0; k--) bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                    break;
            }
            try
            {
                Feed(pair.Channel, bytes);
            }
            catch (Exception ex) when (ex is UaDecodingException or UaServiceException)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
                clean++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Input {i} threw {ex.GetType().Name}: {ex.Message}\n{Convert.ToHexString(bytes)}\n{ex}");
            }
        }
        Assert.True(clean > Iterations * 9 / 10, $"only {clean} of {Iterations} corrupted chunks were refused");
    }

    [Fact]
    public async Task A_chunk_with_a_bad_signature_closes_the_channel_with_a_clear_error()
    {
        var pair = await CreateAsync(MessageSecurityMode.SignAndEncrypt);
        await using var _ = pair.Channel;
        pair.Channel.StartReceiveLoop();
        var good = Message(pair.Server, new byte[64]);
        await pair.Peer.SendAsync(good);
        var bad = Message(pair.Server, new byte[64], sequence: 2);
        bad[^1] ^= 0x55;
        await pair.Peer.SendAsync(bad);
        var error = await pair.Channel.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        var status = Assert.IsType<UaServiceException>(error);
        Assert.Equal("BadSecurityChecksFailed", status.StatusName);
        Assert.Contains("signature", status.Message, StringComparison.Ordinal);
        Assert.False(pair.Channel.IsOpen);
    }

    [Theory]
    [InlineData(2048, 4096)]
    [InlineData(3072, 2048)]
    public void OpenSecureChannel_chunks_round_trip_with_larger_keys(int clientBits, int serverBits)
    {
        using var clientCertificate = UaCertificateStore.CreateSelfSigned("urn:imv:fuzz:c", "C", clientBits);
        using var serverCertificate = UaCertificateStore.CreateSelfSigned("urn:imv:fuzz:s", "S", serverBits);
        using var client = new SecurityPolicyBasic256Sha256(MessageSecurityMode.SignAndEncrypt, clientCertificate, serverCertificate.RawData);
        using var server = new SecurityPolicyBasic256Sha256(MessageSecurityMode.SignAndEncrypt, serverCertificate, clientCertificate.RawData);
        foreach (var (from, to) in new[] { (client, server), (server, client) })
        {
            for (var bodyLength = 0; bodyLength < 700; bodyLength += 97)
            {
                var body = new byte[bodyLength];
                Random.Shared.NextBytes(body);
                var chunk = new byte[8192];
                const int header = 40; // stands for the asymmetric header
                BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(header), 5);
                body.CopyTo(chunk, header + 8);
                var length = from.SecureAsymmetricChunk(chunk, header + 8 + body.Length, header);
                Assert.Equal((uint)length, BinaryPrimitives.ReadUInt32LittleEndian(chunk.AsSpan(4)));
                Assert.True(8 + body.Length <= from.MaxAsymmetricPayload(8192, header));
                Assert.True(length <= 8192);
                var end = to.UnsecureAsymmetricChunk(chunk.AsSpan(0, length), header, from.ClientCertificate, to.ClientCertificate is { } c
                    ? System.Security.Cryptography.SHA1.HashData(c) : []);
                Assert.Equal(header + 8 + body.Length, end);
                Assert.Equal(body, chunk.AsSpan(header + 8, body.Length).ToArray());
            }
        }
    }

    [Fact]
    public async Task An_OpenSecureChannel_answer_from_another_certificate_or_for_another_client_is_refused()
    {
        var pair = await CreateAsync(MessageSecurityMode.SignAndEncrypt);
        await using var _ = pair.Channel;
        // Signed by an impostor that holds a different key pair.
        using var impostorCertificate = UaCertificateStore.CreateSelfSigned("urn:imv:fuzz:server", "Fuzz server");
        using var impostor = new SecurityPolicyBasic256Sha256(MessageSecurityMode.SignAndEncrypt, impostorCertificate, ClientCertificate.RawData);
        var error = Assert.Throws<UaServiceException>(() => Feed(pair.Channel, Open(impostor, new byte[40])));
        Assert.Equal("BadCertificateInvalid", error.StatusName);
        Assert.Contains(impostorCertificate.Thumbprint, error.Message, StringComparison.Ordinal);

        // The right server, but encrypted for another client certificate.
        using var otherClient = UaCertificateStore.CreateSelfSigned("urn:imv:fuzz:other", "Other client");
        using var misdirected = new SecurityPolicyBasic256Sha256(MessageSecurityMode.SignAndEncrypt, ServerCertificate, otherClient.RawData);
        error = Assert.Throws<UaServiceException>(() => Feed(pair.Channel, Open(misdirected, new byte[40])));
        Assert.Equal("BadCertificateInvalid", error.StatusName);
        Assert.Contains("not this client's", error.Message, StringComparison.Ordinal);
    }
}
