using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Imv.OpcUa.Tests;

/// <summary>Feeds random and mutated messages to every decoder: the built-in types, the service
/// responses and the chunk layer. Only clean decoding errors (UaDecodingException, or
/// UaServiceException from the chunk layer) are allowed: no other exception, no hang, no huge
/// allocation. Seeds are fixed, so a failure reproduces.</summary>
public sealed class DecoderFuzzTests
{
    private const int Iterations = 120_000;

    private static byte[] Encode(Action<UaBinaryWriter> write)
    {
        using var w = new UaBinaryWriter();
        write(w);
        return w.WrittenSpan.ToArray();
    }

    private static void Header(UaBinaryWriter w, uint result = 0)
    {
        w.WriteDateTime(DateTime.UtcNow);
        w.WriteUInt32(7);
        w.WriteUInt32(result);
        w.WriteDiagnosticInfo(new DiagnosticInfo { SymbolicId = 1, AdditionalInfo = "x", InnerStatusCode = 5, Inner = new DiagnosticInfo { Locale = 2 } });
        w.WriteStringArray(["a", "b"]);
        w.WriteExtensionObject(null);
    }

    private static IEnumerable<Variant> SampleVariants() =>
    [
        Variant.From(true), Variant.From((sbyte)-1), Variant.From((byte)2), Variant.From((short)-3), Variant.From((ushort)4),
        Variant.From(-5), Variant.From(6u), Variant.From(-7L), Variant.From(8UL), Variant.From(9.5f), Variant.From(10.25),
        Variant.From("text ✓"), Variant.From(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc)), Variant.From(Guid.NewGuid()),
        Variant.From(new byte[] { 1, 2, 3 }), Variant.From(new XmlElementText("<a/>")), Variant.From(new NodeId("Plant", 1)),
        Variant.From(new NodeId(Guid.Empty, 2)), Variant.From(new NodeId(new byte[] { 9 }, 3)), Variant.From(new NodeId(70000, 4)),
        Variant.From(new ExpandedNodeId(new NodeId(85), "urn:x", 2)), Variant.From(new StatusCode(StatusCode.BadTimeout)),
        Variant.From(new QualifiedName(1, "Name")), Variant.From(new LocalizedText("en", "Text")),
        Variant.From(new ExtensionObject(new NodeId(886), 1, Encode(w => { w.WriteDouble(0); w.WriteDouble(100); }))),
        Variant.From(new ExtensionObject(new NodeId(12345, 2), 1, [1, 2, 3, 4])),
        Variant.From(new DataValue(Variant.From(1.0)) { StatusCode = StatusCode.Uncertain, SourceTimestamp = DateTime.UtcNow, SourcePicoseconds = 5 }),
        Variant.From(new DiagnosticInfo { SymbolicId = 3 }),
        Variant.From(new[] { 1.0, 2.0, 3.0 }), Variant.From(new[] { "a", "b" }), Variant.From(new[] { Variant.From(1), Variant.From("x") }),
        Variant.FromArray(BuiltInType.Int32, new[] { 1, 2, 3, 4, 5, 6 }, [2, 3]),
        Variant.FromArray(BuiltInType.Byte, new byte[] { 1, 2 }),
    ];

    private static byte[] DataChangeBody() => Encode(w =>
    {
        w.WriteInt32(3);
        var i = 0u;
        foreach (var v in SampleVariants().Take(3))
        {
            w.WriteUInt32(i++);
            w.WriteDataValue(new DataValue(v) { SourceTimestamp = DateTime.UtcNow, ServerTimestamp = DateTime.UtcNow });
        }
        w.WriteInt32(-1);
    });

    private static List<(string Target, byte[] Bytes)> Seeds()
    {
        var seeds = new List<(string, byte[])>();
        foreach (var v in SampleVariants()) seeds.Add(("variant", Encode(w => w.WriteVariant(v))));
        seeds.Add(("datavalue", Encode(w => w.WriteDataValue(new DataValue(Variant.From(3.0)) { StatusCode = 1, SourceTimestamp = DateTime.UtcNow, ServerPicoseconds = 3 }))));
        seeds.Add(("diagnostic", Encode(w => w.WriteDiagnosticInfo(new DiagnosticInfo { SymbolicId = 1, NamespaceUri = 2, Locale = 3, LocalizedText = 4, AdditionalInfo = "i", InnerStatusCode = 1, Inner = new DiagnosticInfo { SymbolicId = 9 } }))));
        seeds.Add(("expanded", Encode(w =>
        {
            w.WriteExpandedNodeId(new ExpandedNodeId(new NodeId("s", 3), "urn:u", 4));
            w.WriteNodeId(new NodeId(Guid.NewGuid(), 5));
            w.WriteLocalizedText(new LocalizedText("en", "t"));
            w.WriteQualifiedName(new QualifiedName(2, "q"));
            w.WriteExtensionObject(new ExtensionObject(new NodeId(889), 1, Encode(x => { x.WriteString("u"); x.WriteInt32(1); x.WriteLocalizedText(new LocalizedText(null, "C")); x.WriteLocalizedText(new LocalizedText(null, "C")); })));
        })));
        seeds.Add(("read", Encode(w =>
        {
            Header(w);
            var values = SampleVariants().ToList();
            w.WriteInt32(values.Count);
            foreach (var v in values) w.WriteDataValue(new DataValue(v) { SourceTimestamp = DateTime.UtcNow });
            w.WriteInt32(-1);
        })));
        seeds.Add(("publish", Encode(w =>
        {
            Header(w);
            w.WriteUInt32(1);
            w.WriteUInt32Array([1, 2]);
            w.WriteBoolean(false);
            w.WriteUInt32(2);
            w.WriteDateTime(DateTime.UtcNow);
            w.WriteInt32(2);
            w.WriteExtensionObject(new ExtensionObject(new NodeId(811), 1, DataChangeBody()));
            w.WriteExtensionObject(new ExtensionObject(new NodeId(820), 1, Encode(x => { x.WriteUInt32(StatusCode.BadTimeout); x.WriteDiagnosticInfo(null); })));
            w.WriteUInt32Array([0]);
            w.WriteInt32(-1);
        })));
        seeds.Add(("browse", Encode(w =>
        {
            Header(w);
            w.WriteInt32(1);
            w.WriteUInt32(0);
            w.WriteByteString([1, 2, 3]);
            w.WriteInt32(2);
            for (var i = 0; i < 2; i++)
            {
                w.WriteNodeId(new NodeId(47));
                w.WriteBoolean(true);
                w.WriteExpandedNodeId(new ExpandedNodeId(new NodeId("Plant.M" + i, 1)));
                w.WriteQualifiedName(new QualifiedName(1, "M" + i));
                w.WriteLocalizedText(new LocalizedText(null, "M" + i));
                w.WriteInt32(1);
                w.WriteExpandedNodeId(new ExpandedNodeId(new NodeId(58)));
            }
            w.WriteInt32(-1);
        })));
        seeds.Add(("call", Encode(w =>
        {
            Header(w);
            w.WriteInt32(1);
            w.WriteUInt32(0);
            w.WriteUInt32Array([0, StatusCode.BadTypeMismatch]);
            w.WriteInt32(-1);
            w.WriteArray(SampleVariants().Take(5).ToList(), static (w, v) => w.WriteVariant(v));
            w.WriteInt32(-1);
        })));
        seeds.Add(("endpoints", Encode(w =>
        {
            Header(w);
            w.WriteInt32(1);
            w.WriteString("opc.tcp://x:4840");
            w.WriteString("urn:s"); w.WriteString("urn:p"); w.WriteLocalizedText(new LocalizedText(null, "S")); w.WriteInt32(0);
            w.WriteString(null); w.WriteString(null); w.WriteStringArray(["opc.tcp://x"]);
            w.WriteByteString([0x30, 0x03, 1, 2, 3]);
            w.WriteInt32(1);
            w.WriteString(SecurityPolicyNone.PolicyUri);
            w.WriteInt32(1);
            w.WriteString("anonymous"); w.WriteInt32(0); w.WriteString(null); w.WriteString(null); w.WriteString(null);
            w.WriteString("profile");
            w.WriteByte(0);
        })));
        var readBody = seeds.First(s => s.Item1 == "read").Item2;
        seeds.Add(("chunk", Chunk("MSG", 'F', 1, 1, Encode(w => { w.WriteNodeId(new NodeId(634)); w.WriteRaw(readBody); }))));
        seeds.Add(("chunk", Chunk("MSG", 'C', 1, 2, readBody[..10]).Concat(Chunk("MSG", 'F', 2, 2, readBody[10..])).ToArray()));
        seeds.Add(("chunk", Chunk("MSG", 'A', 1, 3, Encode(w => { w.WriteUInt32(StatusCode.BadResponseTooLarge); w.WriteString("too big"); }))));
        seeds.Add(("chunk", Encode(w => { w.WriteRaw("ERRF"u8); w.WriteUInt32(24); w.WriteUInt32(StatusCode.BadTcpInternalError); w.WriteString("boom"); })));
        seeds.Add(("chunk", Chunk("MSG", 'F', 1, 4, Encode(w => { w.WriteNodeId(new NodeId(397)); Header(w, StatusCode.BadNodeIdUnknown); }))));
        return seeds;
    }

    private static byte[] Chunk(string type, char chunkType, uint sequence, uint requestId, byte[] body) => Encode(w =>
    {
        w.WriteRaw(System.Text.Encoding.ASCII.GetBytes(type));
        w.WriteByte((byte)chunkType);
        w.WriteUInt32((uint)(24 + body.Length));
        w.WriteUInt32(0);
        w.WriteUInt32(0);
        w.WriteUInt32(sequence);
        w.WriteUInt32(requestId);
        w.WriteRaw(body);
    });

    private static byte[] Mutate(Random random, byte[] seed, List<(string, byte[])> all)
    {
        var bytes = (byte[])seed.Clone();
        var operations = random.Next(1, 4);
        for (var o = 0; o < operations && bytes.Length > 0; o++)
        {
            switch (random.Next(7))
            {
                case 0: bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[random.Next(bytes.Length)] = (byte)random.Next(256); break;
                case 2:
                    {
                        // A length or count field overwritten with an extreme value.
                        var at = random.Next(Math.Max(1, bytes.Length - 4));
                        int[] extremes = [-1, -2, int.MaxValue, int.MinValue, 0x7FFF_FFF0, 65536, 1 << 24, 0];
                        if (at + 4 <= bytes.Length) BitConverter.TryWriteBytes(bytes.AsSpan(at), extremes[random.Next(extremes.Length)]);
                        break;
                    }
                case 3: bytes = bytes[..random.Next(bytes.Length)]; break;
                case 4:
                    {
                        var at = random.Next(bytes.Length);
                        var insert = new byte[random.Next(1, 16)];
                        random.NextBytes(insert);
                        bytes = [.. bytes[..at], .. insert, .. bytes[at..]];
                        break;
                    }
                case 5:
                    {
                        var other = all[random.Next(all.Count)].Item2;
                        var at = random.Next(bytes.Length);
                        var from = random.Next(other.Length);
                        bytes = [.. bytes[..at], .. other[from..]];
                        break;
                    }
                default:
                    bytes[random.Next(bytes.Length)] = (byte)(random.Next(2) == 0 ? 0xFF : 0x80 | random.Next(64));
                    break;
            }
        }
        return bytes;
    }

    [Fact]
    public async Task Random_and_mutated_messages_end_in_clean_decoding_errors_only()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        using var peer = await listener.AcceptSocketAsync();
        await using var channel = new UaSecureChannel(socket, "opc.tcp://fuzz", SecurityPolicyNone.Instance, UaTransportLimits.Default, 60000, NullLogger.Instance);

        var seeds = Seeds();
        var targets = seeds.Select(s => s.Item1).Distinct().ToArray();
        var random = new Random(20261122);
        var clean = 0;
        var decoded = 0;
        for (var i = 0; i < Iterations; i++)
        {
            string target;
            byte[] input;
            if (i % 3 == 0)
            {
                target = targets[random.Next(targets.Length)];
                input = new byte[random.Next(0, 200)];
                random.NextBytes(input);
            }
            else
            {
                var seed = seeds[random.Next(seeds.Count)];
                target = seed.Item1;
                input = i < seeds.Count ? seed.Item2 : Mutate(random, seed.Item2, seeds);
            }
            try
            {
                Decode(target, input, channel);
                decoded++;
            }
            catch (Exception ex) when (ex is UaDecodingException or UaServiceException)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Message));
                clean++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Input {i} for {target} threw {ex.GetType().Name}: {ex.Message}\n{Convert.ToHexString(input)}\n{ex}");
            }
        }
        Assert.Equal(Iterations, clean + decoded);
        Assert.True(clean > Iterations / 4, $"only {clean} inputs were rejected");
        Assert.True(decoded > Iterations / 20, $"only {decoded} inputs decoded");
    }

    [Fact]
    public void Every_seed_decodes_cleanly()
    {
        foreach (var (target, bytes) in Seeds().Where(s => s.Item1 != "chunk"))
            Decode(target, bytes, null);
    }

    private static void Decode(string target, byte[] input, UaSecureChannel? channel)
    {
        switch (target)
        {
            case "variant":
                {
                    var r = new UaBinaryReader(input);
                    r.ReadVariant();
                    break;
                }
            case "datavalue":
                {
                    var r = new UaBinaryReader(input);
                    r.ReadDataValue();
                    break;
                }
            case "diagnostic":
                {
                    var r = new UaBinaryReader(input);
                    r.ReadDiagnosticInfo();
                    break;
                }
            case "expanded":
                {
                    var r = new UaBinaryReader(input);
                    r.ReadExpandedNodeId();
                    r.ReadNodeId();
                    r.ReadLocalizedText();
                    r.ReadQualifiedName();
                    r.ReadExtensionObject();
                    break;
                }
            case "read": UaClient.DecodeRead(input); break;
            case "publish": UaClient.DecodePublish(input); break;
            case "browse": UaClient.DecodeBrowse(input, "Browse"); break;
            case "call": UaClient.DecodeCall(input); break;
            case "endpoints": UaClient.DecodeEndpoints(input); break;
            case "chunk":
                {
                    channel!.ResetReceiveState();
                    var sequence = new ReadOnlySequence<byte>(input);
                    while (channel.TryTakeChunk(ref sequence)) { }
                    break;
                }
            default: throw new InvalidOperationException(target);
        }
    }
}
