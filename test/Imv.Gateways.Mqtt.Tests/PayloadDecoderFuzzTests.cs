using System.Text;
using Google.Protobuf;
using Imv.Gateways.MqttGateway;
using Imv.Gateways.MqttJson;
using Imv.Gateways.Sparkplug;
using Imv.Gateways.Sparkplug.Proto;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging.Abstractions;
using Metric = Imv.Gateways.Sparkplug.Proto.Payload.Types.Metric;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>Random and mutated Sparkplug and JSON payloads through the gateway's decoders: only
/// MqttDecodeException may come out.</summary>
public sealed class PayloadDecoderFuzzTests
{
    private static GatewayBatch Batch(CollectingSink sink) =>
        new("fuzz", sink, new PendingCommandTracker(), new MqttGatewayStatistics(), NullLogger.Instance);

    private static byte[] Birth(string type, ulong seq)
        => Birth(seq, type == "NBIRTH" ? 0UL : 100UL);

    private static byte[] Birth(ulong seq, ulong aliasBase)
    {
        var payload = new Payload { Timestamp = 1_700_000_000_000, Seq = seq };
        payload.Metrics.Add(new Metric { Name = "bdSeq", Datatype = 4, LongValue = 1 });
        payload.Metrics.Add(SparkplugEdgeNodeSimulator.Double("T", 1.5, aliasBase + 1, "degC"));
        payload.Metrics.Add(new Metric { Name = "B", Alias = aliasBase + 2, Datatype = 11, BooleanValue = true });
        payload.Metrics.Add(new Metric { Name = "I8", Alias = aliasBase + 3, Datatype = 1, IntValue = 200 });
        payload.Metrics.Add(new Metric { Name = "S", Alias = aliasBase + 4, Datatype = 12, StringValue = "x" });
        payload.Metrics.Add(new Metric { Name = "A", Alias = aliasBase + 5, Datatype = 33, BytesValue = SparkplugMetricCodec.EncodeStringArray(["a", "b"]) });
        payload.Metrics.Add(new Metric { Name = "BA", Alias = aliasBase + 6, Datatype = 32, BytesValue = ByteString.CopyFrom(3, 0, 0, 0, 0xA0) });
        payload.Metrics.Add(new Metric { Name = "U64", Alias = aliasBase + 7, Datatype = 8, LongValue = ulong.MaxValue });
        return payload.ToByteArray();
    }

    [Fact]
    public async Task Sparkplug_host_survives_a_hundred_thousand_random_and_mutated_payloads()
    {
        var sink = new CollectingSink();
        var batch = Batch(sink);
        var host = new SparkplugHostApplication("fuzz", new SparkplugGatewayOptions { GroupIds = ["g"] }, new MqttGatewayStatistics(), NullLogger.Instance);
        var random = new Random(4242);
        string[] types = ["NBIRTH", "DBIRTH", "NDATA", "DDATA", "NDEATH", "DDEATH", "NCMD", "BOGUS"];
        var seeds = new List<byte[]> { Birth("NBIRTH", 0), Birth("DBIRTH", 1) };
        var data = new Payload { Seq = 2 };
        data.Metrics.Add(new Metric { Alias = 101, DoubleValue = 3 });
        data.Metrics.Add(new Metric { Name = "B", BooleanValue = false });
        seeds.Add(data.ToByteArray());
        int rejected = 0, accepted = 0;
        for (var i = 0; i < 100_000; i++)
        {
            // Keep the node born now and then so mutated data meets real state, not only "before birth".
            if (i % 500 == 0)
            {
                await host.HandleAsync(new MqttReceivedMessage("spBv1.0/g/NBIRTH/e", Birth("NBIRTH", 0), MqttQualityOfService.AtMostOnce, false, null), batch, CancellationToken.None);
                await host.HandleAsync(new MqttReceivedMessage("spBv1.0/g/DBIRTH/e/d", Birth("DBIRTH", 1), MqttQualityOfService.AtMostOnce, false, null), batch, CancellationToken.None);
            }
            byte[] body;
            if (i % 4 == 0)
            {
                body = new byte[random.Next(0, 120)];
                random.NextBytes(body);
            }
            else
            {
                body = MqttDecoderFuzzTests.Mutate(seeds[random.Next(seeds.Count)], random);
            }
            var type = types[random.Next(types.Length)];
            var topic = type.StartsWith('D') ? $"spBv1.0/g/{type}/e/d" : $"spBv1.0/g/{type}/e";
            try
            {
                await host.HandleAsync(new MqttReceivedMessage(topic, body, MqttQualityOfService.AtMostOnce, false, null), batch, CancellationToken.None);
                accepted++;
            }
            catch (MqttDecodeException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"{topic} {Convert.ToHexString(body)} threw {ex.GetType().Name}: {ex.Message}");
            }
            if (i % 1000 == 0) await batch.FlushAsync(CancellationToken.None);
        }
        await batch.FlushAsync(CancellationToken.None);
        Assert.True(rejected > 10_000, $"only {rejected} rejected");
        Assert.True(accepted > 1_000, $"only {accepted} accepted");
        Assert.Equal((sbyte)-56, (sbyte)sink.Tag("g.e.d", "I8")!.Value.Value.AsInteger());
    }

    [Fact]
    public async Task Json_mapping_survives_a_hundred_thousand_random_and_mutated_bodies()
    {
        var sink = new CollectingSink();
        var batch = Batch(sink);
        // Declared tags too, so that mutated values meet the type fitting (widening, refusal) as well as learning.
        var options = new JsonGatewayOptions { TelemetryTopic = "p/{line}/{machine}/t", AckTopic = "p/{line}/{machine}/ack", StatusTopic = "p/{line}/{machine}/s" };
        options.Tags["temp"] = new JsonTagOptions { DataType = TagDataType.Double };
        options.Tags["vec"] = new JsonTagOptions { DataType = TagDataType.DoubleArray };
        options.Tags["mode"] = new JsonTagOptions { DataType = TagDataType.String };
        var statistics = new MqttGatewayStatistics();
        var mapping = new JsonDeviceMapping("fuzz", options, statistics, NullLogger.Instance);
        var random = new Random(777);
        string[] seeds =
        [
            """{"temp": 21.5, "count": 7, "on": true, "mode": "auto", "vec": [1, 2.5], "n": null}""",
            """{"ts": 1767323045000, "values": {"temp": 22.0, "s": ["a","b"]}}""",
            """{"ts": "2026-03-04T05:06:07Z", "values": {"x": -1e300}}""",
            """{"id": "c1", "status": "applied", "reason": "ok"}""",
            "online",
        ];
        string[] topics = ["p/l/m/t", "p/l/m/ack", "p/l/m/s", "p/l/t", "other"];
        int rejected = 0, accepted = 0;
        for (var i = 0; i < 100_000; i++)
        {
            byte[] body;
            if (i % 4 == 0)
            {
                body = new byte[random.Next(0, 80)];
                random.NextBytes(body);
            }
            else
            {
                body = MqttDecoderFuzzTests.Mutate(Encoding.UTF8.GetBytes(seeds[random.Next(seeds.Length)]), random);
            }
            var topic = topics[random.Next(topics.Length)];
            try
            {
                await mapping.HandleAsync(new MqttReceivedMessage(topic, body, MqttQualityOfService.AtMostOnce, false, null), batch, CancellationToken.None);
                accepted++;
            }
            catch (MqttDecodeException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"{topic} {Convert.ToHexString(body)} threw {ex.GetType().Name}: {ex.Message}");
            }
            if (i % 1000 == 0) await batch.FlushAsync(CancellationToken.None);
        }
        Assert.True(rejected > 10_000, $"only {rejected} rejected");
        Assert.True(accepted > 300, $"only {accepted} accepted");
        Assert.True(statistics.TypeMismatches > 0, "no mutated value met a declared tag of another type");
    }
}
