using System.Buffers;
using System.Text;

namespace Imv.Gateways.Mqtt.Tests;

public sealed class MqttDecoderFuzzTests
{
    private const int MaxPacket = 64 * 1024;

    internal static List<byte[]> ValidServerPackets()
    {
        var seeds = new List<byte[]>
        {
            new byte[] { 0x20, 0x02, 0x00, 0x00 },                         // CONNACK 3.1.1
            new byte[] { 0x20, 0x03, 0x01, 0x00, 0x00 },                   // CONNACK 5 no properties
            new byte[] { 0x20, 0x0B, 0x00, 0x00, 0x08, 0x21, 0x00, 0x14, 0x22, 0x00, 0x0A, 0x25, 0x01 }, // CONNACK 5 props
            new byte[] { 0x40, 0x02, 0x00, 0x07 },                         // PUBACK
            new byte[] { 0x50, 0x04, 0x00, 0x07, 0x10, 0x00 },             // PUBREC v5 with reason
            new byte[] { 0x62, 0x02, 0x00, 0x07 },                         // PUBREL
            new byte[] { 0x70, 0x02, 0x00, 0x07 },                         // PUBCOMP
            new byte[] { 0x90, 0x05, 0x00, 0x01, 0x00, 0x01, 0x80 },       // SUBACK v5
            new byte[] { 0x90, 0x04, 0x00, 0x01, 0x01, 0x02 },             // SUBACK 3.1.1
            new byte[] { 0xB0, 0x04, 0x00, 0x01, 0x00, 0x00 },             // UNSUBACK v5
            new byte[] { 0xD0, 0x00 },                                     // PINGRESP
            new byte[] { 0xE0, 0x09, 0x8B, 0x07, 0x1F, 0x00, 0x04, 0x62, 0x79, 0x65, 0x21 }, // DISCONNECT v5 with reason string
        };
        foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
        {
            foreach (var qos in new[] { MqttQualityOfService.AtMostOnce, MqttQualityOfService.AtLeastOnce, MqttQualityOfService.ExactlyOnce })
            {
                var writer = new ArrayBufferWriter<byte>();
                var message = new MqttApplicationMessage("spBv1.0/g/DDATA/e/d", Encoding.UTF8.GetBytes("payload ünïcode"), qos, retain: true)
                {
                    MessageExpiryInterval = 60,
                    UserProperties = [new MqttUserProperty("k", "v")],
                    ContentType = "text/plain",
                };
                MqttPacketEncoder.WritePublish(writer, version, message, 42, dup: qos > 0, topicAlias: 3, omitTopic: false);
                seeds.Add(writer.WrittenSpan.ToArray());
            }
        }
        return seeds;
    }

    private static void DecodeAll(byte[] data, MqttProtocolVersion version, int parts)
    {
        var buffer = parts > 1 ? MultiSegment.Split(data, parts) : new ReadOnlySequence<byte>(data);
        var cache = new MqttTopicCache(16);
        for (var guard = 0; guard < 1000; guard++)
        {
            if (!MqttPacketDecoder.TryDecode(ref buffer, version, MaxPacket, cache, out _)) return;
        }
    }

    [Fact]
    public void Seeds_decode_without_errors()
    {
        var seeds = ValidServerPackets();
        foreach (var seed in seeds.Take(12))
        {
            var version = seed[0] == 0x90 && seed[1] == 0x04 || seed[0] == 0x20 && seed[1] == 0x02 || seed.Length == 4 && seed[0] != 0xB0 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500;
            var buffer = new ReadOnlySequence<byte>(seed);
            Assert.True(MqttPacketDecoder.TryDecode(ref buffer, version, MaxPacket, null, out _), Convert.ToHexString(seed));
            Assert.Equal(0, buffer.Length);
        }
        var publish = seeds[^1];
        var sequence = MultiSegment.Split(publish, 5);
        Assert.True(MqttPacketDecoder.TryDecode(ref sequence, MqttProtocolVersion.V500, MaxPacket, null, out var packet));
        Assert.Equal("spBv1.0/g/DDATA/e/d", packet.Topic);
        Assert.Equal((ushort)3, packet.Properties!.TopicAlias);
        Assert.Equal("payload ünïcode", Encoding.UTF8.GetString(packet.Payload!));
    }

    [Theory]
    [InlineData("30FFFFFFFF01", "Remaining length longer than 4 bytes")]
    [InlineData("3007000361C3287800", "not valid UTF-8")]
    [InlineData("4102000 7", "reserved header flags")]
    [InlineData("36020000", "QoS 3")]
    [InlineData("3806000161000100", "DUP flag")]
    [InlineData("00020000", "not valid from a server")]
    [InlineData("3203000161", "truncated")]
    [InlineData("300400026123", "wildcard")]
    [InlineData("D00100", "trailing")]
    public void Malformed_packets_fail_with_a_clear_reason(string hex, string reason)
    {
        var data = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        var error = Assert.Throws<MqttDecodeException>(() => DecodeAll(data, MqttProtocolVersion.V311, 1));
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Oversized_packet_is_refused_before_it_is_buffered()
    {
        // Header announces 200,000 bytes; only the header is present.
        var data = new byte[] { 0x30, 0xC0, 0x9A, 0x0C };
        var error = Assert.Throws<MqttDecodeException>(() => DecodeAll(data, MqttProtocolVersion.V500, 1));
        Assert.Contains("exceeds the maximum packet size", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hundred_thousand_random_and_mutated_packets_give_only_clean_errors()
    {
        var random = new Random(20261122);
        var seeds = ValidServerPackets();
        int decoded = 0, rejected = 0, incomplete = 0;
        for (var i = 0; i < 110_000; i++)
        {
            byte[] data;
            if (i % 3 == 0)
            {
                data = new byte[random.Next(0, 200)];
                random.NextBytes(data);
                if (data.Length > 0) data[0] = (byte)(random.Next(16) << 4 | random.Next(16)); // every type and flag
            }
            else
            {
                data = Mutate(seeds[random.Next(seeds.Count)], random);
            }
            var version = (i & 1) == 0 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500;
            try
            {
                var buffer = random.Next(4) == 0 ? MultiSegment.Split(data, random.Next(2, 6)) : new ReadOnlySequence<byte>(data);
                var any = false;
                while (MqttPacketDecoder.TryDecode(ref buffer, version, MaxPacket, null, out _)) any = true;
                if (any) decoded++; else incomplete++;
            }
            catch (MqttDecodeException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Input {Convert.ToHexString(data)} ({version}) threw {ex.GetType().Name}: {ex.Message}");
            }
        }
        Assert.True(rejected > 10_000, $"only {rejected} rejected");
        Assert.True(decoded > 1_000, $"only {decoded} decoded");
    }

    internal static byte[] Mutate(byte[] seed, Random random)
    {
        var data = (byte[])seed.Clone();
        var mutations = random.Next(1, 4);
        for (var m = 0; m < mutations; m++)
        {
            switch (random.Next(6))
            {
                case 0 when data.Length > 0:
                    data[random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Length > 0:
                    data[random.Next(data.Length)] = (byte)random.Next(256);
                    break;
                case 2 when data.Length > 1:
                    Array.Resize(ref data, random.Next(1, data.Length));
                    break;
                case 3:
                    var insert = new byte[random.Next(1, 8)];
                    random.NextBytes(insert);
                    var at = random.Next(data.Length + 1);
                    data = [.. data.AsSpan(0, at), .. insert, .. data.AsSpan(at)];
                    break;
                case 4 when data.Length > 1:
                    data[1] = (byte)random.Next(256); // remaining length lies
                    break;
                default:
                    if (data.Length > 0) data[0] = (byte)(data[0] & 0xF0 | random.Next(16)); // reserved flags
                    break;
            }
        }
        return data;
    }
}
