using System.Text;
using Imv.Gateways.MqttGateway;
using Imv.Gateways.Sparkplug;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>Run on each client the gateway can use.</summary>
public abstract class SparkplugGatewayTests(BrokerFixture fixture)
{
    private readonly MosquittoBroker _broker = fixture.Broker;

    /// <summary>The client under the gateway.</summary>
    protected abstract MqttClientKind Client { get; }

    private static string Group() => "g" + Guid.NewGuid().ToString("N")[..6];

    private Task<GatewayHarness> StartGatewayAsync(string group, string hostId = "imvhost", MqttProtocolVersion version = MqttProtocolVersion.V500) =>
        GatewayHarness.StartAsync(_broker, Client, o =>
        {
            o.Mode = MqttGatewayMode.SparkplugB;
            o.ProtocolVersion = version == MqttProtocolVersion.V500 ? "5.0" : "3.1.1";
            o.Sparkplug.GroupIds = [group];
            o.Sparkplug.HostId = hostId;
            o.Sparkplug.RebirthMinIntervalMs = 200;
        });

    private static DeviceCommand Write(string twin, string tag, TagValue value, string? id = null) =>
        new(id ?? Guid.NewGuid().ToString("N"), twin, tag, null, value, [], DateTimeOffset.UtcNow.AddSeconds(30));

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Births_create_twins_with_tags_units_and_values_and_data_by_alias_updates_them(MqttProtocolVersion version)
    {
        var group = Group();
        await using var gateway = await StartGatewayAsync(group, version: version);
        await using var edge = new SparkplugEdgeNodeSimulator(_broker, group, "edge1", ["press", "oven"]);
        await edge.StartAsync();
        var twin = $"{group}.edge1.oven";
        await Wait.UntilAsync(() => gateway.Sink.Connectivity(twin) == TwinConnectivity.Online && gateway.Sink.Tag(twin, "Temperature") is not null, "oven born");

        var description = gateway.Sink.Twins[twin].Description!;
        Assert.Equal(gateway.Connection.Name, description.Gateway);
        var temperature = description.Tags.Single(t => t.Name == "Temperature");
        Assert.Equal(TagDataType.Double, temperature.DataType);
        Assert.Equal("degC", temperature.Unit);
        Assert.Equal(150, temperature.Maximum);
        Assert.Equal(TagDataType.Boolean, description.Tags.Single(t => t.Name == "Running").DataType);
        Assert.Equal(TagDataType.DoubleArray, description.Tags.Single(t => t.Name == "Profile").DataType);
        // Where each tag comes from: the gateway, the device's topics and metric, the Sparkplug type.
        Assert.Equal((gateway.Connection.Name, $"spBv1.0/{group}/D*/edge1/oven Temperature", 0),
            (temperature.SourceGateway, temperature.SourceAddress, temperature.ArrayRank));
        Assert.Equal(1, description.Tags.Single(t => t.Name == "Profile").ArrayRank);
        Assert.Null(description.Methods);
        Assert.Equal(65535, gateway.Sink.Tag(twin, "Count")!.Value.Value.AsInteger());
        Assert.Equal([1.5, 2.5], (double[])gateway.Sink.Tag(twin, "Profile")!.Value.Value.AsArray());
        Assert.Equal(TwinConnectivity.Online, gateway.Sink.Connectivity($"{group}.edge1"));
        Assert.DoesNotContain(gateway.Sink.Twins[$"{group}.edge1"].Description!.Tags, t => t.Name == "bdSeq");

        var stamp = (ulong)DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        await edge.DeviceDataAsync(1, 99.25, stamp);
        await edge.DeviceDataAsync(0, 12.5, byAlias: false);
        await edge.NodeDataAsync(5000);
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "Temperature")?.Value.AsDouble() == 99.25
            && gateway.Sink.Tag($"{group}.edge1.press", "Temperature")?.Value.AsDouble() == 12.5
            && gateway.Sink.Tag($"{group}.edge1", "Uptime")?.Value.AsInteger() == 5000, "data applied");
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds((long)stamp), gateway.Sink.Tag(twin, "Temperature")!.Value.SourceTimestamp);
        Assert.Equal(0, gateway.Connection.Statistics.BadMessages);
        Assert.Equal(0, gateway.Connection.Statistics.RebirthRequests);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Primary_host_publishes_retained_state_online_and_offline(MqttProtocolVersion version)
    {
        var group = Group();
        var hostId = "host" + group;
        await using var watcher = new MqttClient(_broker.ClientOptions("watch-" + group));
        await watcher.ConnectAsync(Wait.Token());
        await watcher.SubscribeAsync($"spBv1.0/STATE/{hostId}", MqttQualityOfService.AtLeastOnce, Wait.Token());
        var gateway = await StartGatewayAsync(group, hostId, version);
        var online = await Wait.ReadAsync(watcher.Messages);
        Assert.Contains("\"online\":true", Encoding.UTF8.GetString(online.Payload), StringComparison.Ordinal);
        await gateway.DisposeAsync();
        var offline = await Wait.ReadAsync(watcher.Messages);
        Assert.Contains("\"online\":false", Encoding.UTF8.GetString(offline.Payload), StringComparison.Ordinal);
        // Retained: a late subscriber learns the host is offline.
        await using var late = new MqttClient(_broker.ClientOptions("late-" + group));
        await late.ConnectAsync(Wait.Token());
        await late.SubscribeAsync($"spBv1.0/STATE/{hostId}", MqttQualityOfService.AtLeastOnce, Wait.Token());
        var retained = await Wait.ReadAsync(late.Messages);
        Assert.True(retained.Retain);
        Assert.Contains("\"online\":false", Encoding.UTF8.GetString(retained.Payload), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seq_gap_makes_the_host_request_a_rebirth_and_the_node_is_born_again()
    {
        var group = Group();
        await using var gateway = await StartGatewayAsync(group);
        await using var edge = new SparkplugEdgeNodeSimulator(_broker, group, "edge1", ["d1"]);
        await edge.StartAsync();
        await Wait.UntilAsync(() => gateway.Sink.Connectivity($"{group}.edge1.d1") == TwinConnectivity.Online, "born");
        await edge.LoseOneSeqAsync();
        await edge.DeviceDataAsync(0, 30);
        await Wait.UntilAsync(() => edge.Rebirths == 1, "rebirth requested and performed");
        Assert.Equal(1, gateway.Connection.Statistics.SequenceGaps);
        await Wait.UntilAsync(() => gateway.Sink.Twins[$"{group}.edge1.d1"].Descriptions == 2, "second birth described");
        Assert.True(gateway.Logger.Contains(LogLevel.Warning, "seq gap", $"spBv1.0/{group}/DDATA/edge1/d1"));
        await edge.DeviceDataAsync(0, 31);
        await Wait.UntilAsync(() => gateway.Sink.Tag($"{group}.edge1.d1", "Temperature")?.Value.AsDouble() == 31, "data after rebirth");
        Assert.Equal(1, gateway.Connection.Statistics.SequenceGaps);
    }

    [Fact]
    public async Task Data_before_birth_is_counted_and_triggers_a_rebirth_request()
    {
        var group = Group();
        await using var gateway = await StartGatewayAsync(group);
        await using var edge = new SparkplugEdgeNodeSimulator(_broker, group, "late", ["d1"]);
        await edge.StartAsync(birth: false);
        await edge.DeviceDataAsync(0, 42);
        await Wait.UntilAsync(() => edge.Rebirths >= 1 && gateway.Sink.Connectivity($"{group}.late.d1") == TwinConnectivity.Online, "rebirth after data before birth");
        Assert.True(gateway.Connection.Statistics.BadMessages >= 1);
        Assert.True(gateway.Logger.Contains(LogLevel.Warning, $"spBv1.0/{group}/DDATA/late/d1", "has not announced itself"));
    }

    [Fact]
    public async Task Commands_go_out_as_dcmd_and_ncmd_with_the_right_type_and_are_confirmed_by_readback()
    {
        var group = Group();
        await using var gateway = await StartGatewayAsync(group);
        await using var edge = new SparkplugEdgeNodeSimulator(_broker, group, "edge1", ["pump"]);
        await edge.StartAsync();
        var twin = $"{group}.edge1.pump";
        await Wait.UntilAsync(() => gateway.Sink.Connectivity(twin) == TwinConnectivity.Online, "born");

        var delivery = await gateway.Connection.SendAsync(Write(twin, "SetPoint", TagValue.FromInteger(42), "cmd-1"), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Delivered, delivery.Status);
        await Wait.UntilAsync(() => edge.CommandsReceived.Any(c => c.Metric.Name == "SetPoint"), "DCMD received");
        var (topic, metric) = edge.CommandsReceived.First(c => c.Metric.Name == "SetPoint");
        Assert.Equal($"spBv1.0/{group}/DCMD/edge1/pump", topic);
        Assert.Equal((uint)SparkplugDataType.Double, metric.Datatype);
        Assert.Equal(42.0, metric.DoubleValue);
        await Wait.UntilAsync(() => gateway.Sink.Outcomes.Any(o => o.CommandId == "cmd-1" && o.Status == CommandDeliveryStatus.Applied), "applied by readback");
        Assert.Equal(42.0, gateway.Sink.Tag(twin, "SetPoint")!.Value.Value.AsDouble());

        var node = await gateway.Connection.SendAsync(Write($"{group}.edge1", "Mode", TagValue.FromInteger(3)), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Delivered, node.Status);
        await Wait.UntilAsync(() => edge.CommandsReceived.Any(c => c.Metric.Name == "Mode"), "NCMD received");
        var mode = edge.CommandsReceived.First(c => c.Metric.Name == "Mode");
        Assert.Equal($"spBv1.0/{group}/NCMD/edge1", mode.Topic);
        Assert.Equal((uint)SparkplugDataType.Int32, mode.Metric.Datatype);
        Assert.Equal(3u, mode.Metric.IntValue);

        var wrongType = await gateway.Connection.SendAsync(Write(twin, "Running", TagValue.FromString("yes")), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Rejected, wrongType.Status);
        Assert.Contains("Boolean", wrongType.Reason, StringComparison.Ordinal);
        var unknownTwin = await gateway.Connection.SendAsync(Write("nope", "x", TagValue.FromInteger(1)), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Rejected, unknownTwin.Status);
        var outOfRange = await gateway.Connection.SendAsync(Write($"{group}.edge1", "Mode", TagValue.FromInteger(long.MaxValue)), Wait.Token());
        Assert.Contains("outside the range", outOfRange.Reason, StringComparison.Ordinal);
        var expired = await gateway.Connection.SendAsync(new DeviceCommand("old", twin, "SetPoint", null, TagValue.FromDouble(1), [], DateTimeOffset.UtcNow.AddSeconds(-1)), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Rejected, expired.Status);
    }

    [Fact]
    public async Task A_vanished_edge_node_turns_its_twins_offline_with_bad_tags_and_stale_deaths_are_ignored()
    {
        var group = Group();
        await using var gateway = await StartGatewayAsync(group);
        var edge = new SparkplugEdgeNodeSimulator(_broker, group, "edge1", ["d1", "d2"], bdSeq: 5);
        await edge.StartAsync();
        await Wait.UntilAsync(() => gateway.Sink.Connectivity($"{group}.edge1.d2") == TwinConnectivity.Online, "born");

        // A death certificate of an older session (other bdSeq) must not kill the current one.
        await edge.NodeDeathAsync(bdSeq: 4);
        await edge.DeviceDeathAsync(0);
        await Wait.UntilAsync(() => gateway.Sink.Connectivity($"{group}.edge1.d1") == TwinConnectivity.Offline, "DDEATH applied");
        Assert.True(gateway.Sink.AllTagsHaveQuality($"{group}.edge1.d1", TagQuality.Bad));
        Assert.Equal(TwinConnectivity.Online, gateway.Sink.Connectivity($"{group}.edge1"));
        Assert.Equal(TwinConnectivity.Online, gateway.Sink.Connectivity($"{group}.edge1.d2"));

        await edge.CrashAsync();
        await Wait.UntilAsync(() => gateway.Sink.Connectivity($"{group}.edge1") == TwinConnectivity.Offline
            && gateway.Sink.Connectivity($"{group}.edge1.d2") == TwinConnectivity.Offline, "NDEATH will applied");
        Assert.True(gateway.Sink.AllTagsHaveQuality($"{group}.edge1.d2", TagQuality.Bad));
        Assert.True(gateway.Sink.AllTagsHaveQuality($"{group}.edge1", TagQuality.Bad));
        var rejected = await gateway.Connection.SendAsync(Write($"{group}.edge1.d2", "SetPoint", TagValue.FromDouble(1)), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Rejected, rejected.Status);
        await edge.DisposeAsync();
    }

    [Fact]
    public async Task Bad_protobuf_unknown_aliases_and_foreign_topics_are_counted_logged_and_survived()
    {
        var group = Group();
        await using var gateway = await StartGatewayAsync(group);
        await using var edge = new SparkplugEdgeNodeSimulator(_broker, group, "edge1", ["d1"]);
        await edge.StartAsync();
        await Wait.UntilAsync(() => gateway.Sink.Connectivity($"{group}.edge1.d1") == TwinConnectivity.Online, "born");

        await edge.PublishRawAsync($"spBv1.0/{group}/DDATA/edge1/d1", [0xFF, 0xFF, 0xFF, 0x01]);
        var unknownAlias = new Sparkplug.Proto.Payload { Seq = 2, Timestamp = 1 };
        unknownAlias.Metrics.Add(new Sparkplug.Proto.Payload.Types.Metric { Alias = 9999, Datatype = 10, DoubleValue = 1 });
        await edge.PublishRawAsync($"spBv1.0/{group}/DDATA/edge1/d1", Google.Protobuf.MessageExtensions.ToByteArray(unknownAlias));
        await edge.PublishRawAsync($"spBv1.0/{group}/BOGUS/edge1", [1, 2, 3]);
        await Wait.UntilAsync(() => gateway.Connection.Statistics.BadMessages == 3, "three bad messages counted");
        Assert.True(gateway.Logger.Contains(LogLevel.Warning, $"spBv1.0/{group}/DDATA/edge1/d1", "Invalid Sparkplug B payload"));
        Assert.True(gateway.Logger.Contains(LogLevel.Warning, "unknown alias 9999"));
        Assert.True(gateway.Logger.Contains(LogLevel.Warning, $"spBv1.0/{group}/BOGUS/edge1", "not a Sparkplug B topic"));

        // Still alive: after the rebirth that the unknown alias requested, data flows.
        await Wait.UntilAsync(() => edge.Rebirths >= 1, "rebirth");
        await edge.DeviceDataAsync(0, 77);
        await Wait.UntilAsync(() => gateway.Sink.Tag($"{group}.edge1.d1", "Temperature")?.Value.AsDouble() == 77, "data after bad input");
    }

    [Fact]
    public async Task When_the_gateway_loses_its_broker_twins_turn_uncertain_and_nodes_are_asked_to_rebirth()
    {
        var group = Group();
        await using var gateway = await StartGatewayAsync(group);
        await using var edge = new SparkplugEdgeNodeSimulator(_broker, group, "edge1", ["d1"]);
        await edge.StartAsync();
        var twin = $"{group}.edge1.d1";
        await Wait.UntilAsync(() => gateway.Sink.Connectivity(twin) == TwinConnectivity.Online, "born");

        gateway.Connection.Client.BreakConnection();
        await Wait.UntilAsync(() => gateway.Sink.Connectivity(twin) == TwinConnectivity.Reconnecting, "twin reconnecting");
        await Wait.UntilAsync(() => edge.Rebirths >= 1 && gateway.Sink.Connectivity(twin) == TwinConnectivity.Online, "rebirth after the host reconnected");
        await edge.DeviceDataAsync(0, 64);
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "Temperature")?.Value.AsDouble() == 64, "data flows again");
        Assert.Equal(0, gateway.Connection.Statistics.BadMessages);
    }

    [Fact]
    public async Task A_thousand_devices_on_one_connection()
    {
        var group = Group();
        await using var gateway = await StartGatewayAsync(group);
        var nodes = new List<SparkplugEdgeNodeSimulator>();
        try
        {
            for (var n = 0; n < 10; n++)
            {
                var node = new SparkplugEdgeNodeSimulator(_broker, group, "edge" + n, Enumerable.Range(0, 100).Select(d => "dev" + d).ToArray());
                nodes.Add(node);
            }
            await Task.WhenAll(nodes.Select(n => n.StartAsync()));
            for (var round = 1; round <= 5; round++)
                await Task.WhenAll(nodes.Select(async n => { for (var d = 0; d < 100; d++) await n.DeviceDataAsync(d, round * 1000 + d); }));

            await Wait.UntilAsync(() => Enumerable.Range(0, 10).All(n => Enumerable.Range(0, 100).All(d =>
                gateway.Sink.Tag($"{group}.edge{n}.dev{d}", "Temperature")?.Value.AsDouble() == 5000 + d)), "1000 devices at their last value", TimeSpan.FromSeconds(60));
            Assert.Equal(1010, gateway.Sink.Twins.Count(t => t.Value.Connectivity == TwinConnectivity.Online));
            Assert.Equal(0, gateway.Connection.Statistics.BadMessages);
            Assert.Equal(0, gateway.Connection.Statistics.SequenceGaps);
            // Batching: fewer sink calls than messages once the stream is busy.
            Assert.True(gateway.Sink.TelemetryCalls <= gateway.Connection.Statistics.Messages,
                $"{gateway.Sink.TelemetryCalls} sink calls for {gateway.Connection.Statistics.Messages} messages");
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }
}

[Collection("broker")]
public sealed class SparkplugGatewayOnOwnClientTests(BrokerFixture fixture) : SparkplugGatewayTests(fixture)
{
    protected override MqttClientKind Client => MqttClientKind.Own;
}

[Collection("broker")]
public sealed class SparkplugGatewayOnMqttNetTests(BrokerFixture fixture) : SparkplugGatewayTests(fixture)
{
    protected override MqttClientKind Client => MqttClientKind.MqttNet;
}
