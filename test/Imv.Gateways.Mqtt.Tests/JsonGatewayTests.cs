using System.Text;
using System.Text.Json;
using Imv.Gateways.MqttGateway;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>Run on each client the gateway can use.</summary>
public abstract class JsonGatewayTests(BrokerFixture fixture)
{
    private readonly MosquittoBroker _broker = fixture.Broker;

    /// <summary>The client under the gateway.</summary>
    protected abstract MqttClientKind Client { get; }

    private static string Site() => "s" + Guid.NewGuid().ToString("N")[..6];

    private Task<GatewayHarness> StartAsync(string site, bool ack = true, bool status = true) => GatewayHarness.StartAsync(_broker, Client, o =>
    {
        o.Mode = MqttGatewayMode.Json;
        o.Json.TelemetryTopic = $"plant/{site}/{{line}}/{{machine}}/telemetry";
        o.Json.TwinIdTemplate = site + ".{line}.{machine}";
        o.Json.CommandTopic = $"plant/{site}/{{line}}/{{machine}}/cmd";
        o.Json.AckTopic = ack ? $"plant/{site}/{{line}}/{{machine}}/ack" : null;
        o.Json.StatusTopic = status ? $"plant/{site}/{{line}}/{{machine}}/status" : null;
        o.Json.Tags["speed"] = new JsonTagOptions { Writable = true, Maximum = 100 };
        o.Json.Tags["valve"] = new JsonTagOptions { DataType = TagDataType.Boolean, Writable = true };
        o.Json.Tags["Flow"] = new JsonTagOptions { DataType = TagDataType.Double, Writable = true, Unit = "m3/h" };
        o.Json.Methods["reset"] = new JsonMethodOptions { Arguments = [new JsonMethodArgumentOptions { Name = "mode", DataType = TagDataType.String }] };
        o.Json.Methods["jog"] = new JsonMethodOptions { Arguments = [new JsonMethodArgumentOptions { Name = "distance", DataType = TagDataType.Double }] };
    });

    private async Task<MqttClient> DeviceAsync(string site, string machine, bool will = false)
    {
        var options = _broker.ClientOptions($"json-{site}-{machine}");
        if (will) options.Will = new MqttApplicationMessage($"plant/{site}/l1/{machine}/status", "offline"u8.ToArray(), MqttQualityOfService.AtLeastOnce, retain: true);
        var client = new MqttClient(options);
        await client.ConnectAsync(Wait.Token());
        return client;
    }

    private static Task PublishAsync(MqttClient client, string topic, string json) =>
        client.PublishAsync(new MqttApplicationMessage(topic, Encoding.UTF8.GetBytes(json), MqttQualityOfService.AtLeastOnce), Wait.Token()).AsTask();

    [Fact]
    public async Task Telemetry_in_both_body_shapes_reaches_the_twin_named_by_the_template()
    {
        var site = Site();
        await using var gateway = await StartAsync(site);
        await using var device = await DeviceAsync(site, "m1");
        var topic = $"plant/{site}/l1/m1/telemetry";
        await PublishAsync(device, topic, """{"temp": 21.5, "count": 7, "on": true, "mode": "auto", "vec": [1, 2.5], "ids": [1, 2]}""");
        var twin = $"{site}.l1.m1";
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "ids") is not null, "flat body applied");
        Assert.Equal(21.5, gateway.Sink.Tag(twin, "temp")!.Value.Value.AsDouble());
        Assert.Equal(7, gateway.Sink.Tag(twin, "count")!.Value.Value.AsInteger());
        Assert.True(gateway.Sink.Tag(twin, "on")!.Value.Value.AsBoolean());
        Assert.Equal("auto", gateway.Sink.Tag(twin, "mode")!.Value.Value.AsString());
        Assert.Equal([1.0, 2.5], (double[])gateway.Sink.Tag(twin, "vec")!.Value.Value.AsArray());
        Assert.Equal([1L, 2L], (long[])gateway.Sink.Tag(twin, "ids")!.Value.Value.AsArray());
        Assert.Equal(TwinConnectivity.Online, gateway.Sink.Connectivity(twin));
        Assert.Contains(gateway.Sink.Twins[twin].Description!.Tags, t => t.Name == "temp" && t.DataType == TagDataType.Double);

        await PublishAsync(device, topic, """{"ts": 1767323045000, "values": {"temp": 22.0}}""");
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "temp")?.Value.AsDouble() == 22.0, "ms timestamp body");
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1767323045000), gateway.Sink.Tag(twin, "temp")!.Value.SourceTimestamp);
        await PublishAsync(device, topic, """{"ts": "2026-03-04T05:06:07.5+01:00", "values": {"temp": 23.0}}""");
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "temp")?.Value.AsDouble() == 23.0, "ISO timestamp body");
        Assert.Equal(DateTimeOffset.Parse("2026-03-04T04:06:07.5Z", System.Globalization.CultureInfo.InvariantCulture), gateway.Sink.Tag(twin, "temp")!.Value.SourceTimestamp);
    }

    [Fact]
    public async Task A_qos1_message_is_acknowledged_only_once_its_readings_are_stored_and_redelivered_otherwise()
    {
        var site = Site();
        await using var gateway = await GatewayHarness.StartAsync(_broker, Client, o =>
        {
            o.Mode = MqttGatewayMode.Json;
            o.Json.TelemetryTopic = $"plant/{site}/{{line}}/{{machine}}/telemetry";
            o.Json.TwinIdTemplate = site + ".{line}.{machine}";
            o.CleanStart = false;
            o.SessionExpirySeconds = 300;
        });
        gateway.Sink.HoldReceipts = true; // the twin has not stored the readings yet
        await using var device = await DeviceAsync(site, "m1");
        var twin = $"{site}.l1.m1";
        await PublishAsync(device, $"plant/{site}/l1/m1/telemetry", """{"temp": 30.5}""");
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "temp") is not null, "reading handed to the sink");
        Assert.Equal(1, gateway.Sink.Twins[twin].TelemetryCalls);

        // The silo "crashes" before storing: the broker never got the PUBACK and delivers the message again.
        gateway.Connection.Client.BreakConnection();
        await Wait.UntilAsync(() => gateway.Sink.Twins[twin].TelemetryCalls == 2, "message delivered again after the reconnect");

        // Stored now: the acknowledgement goes out, and after another break nothing is delivered again.
        gateway.Sink.HoldReceipts = false;
        gateway.Sink.ReleaseReceipts();
        // The acknowledgement is written once the released receipt's continuation ran; then a publication of the
        // gateway's own, acknowledged by the broker, shows the broker has taken it (it handles a connection in order).
        await Wait.UntilAsync(() => gateway.Connection.Client.HeldAcknowledgements == 0, "acknowledgement written");
        await gateway.Connection.Client.PublishAsync(new MqttApplicationMessage($"plant/{site}/sync", new byte[] { 0 }, MqttQualityOfService.AtLeastOnce), Wait.Token());
        gateway.Connection.Client.BreakConnection();
        await Wait.UntilAsync(() => gateway.Connection.Client.State == MqttConnectionState.Connected && gateway.Connection.Client.Statistics.Reconnects == 2, "reconnected");
        await PublishAsync(device, $"plant/{site}/l1/m2/telemetry", """{"temp": 1.0}""");
        await Wait.UntilAsync(() => gateway.Sink.Tag($"{site}.l1.m2", "temp") is not null, "a new message arrives");
        Assert.Equal(2, gateway.Sink.Twins[twin].TelemetryCalls);
    }

    [Fact]
    public async Task Commands_are_published_on_the_command_topic_and_confirmed_by_the_ack_topic()
    {
        var site = Site();
        await using var gateway = await StartAsync(site);
        await using var device = await DeviceAsync(site, "m2");
        await device.SubscribeAsync($"plant/{site}/l1/m2/cmd", MqttQualityOfService.AtLeastOnce, Wait.Token());
        await PublishAsync(device, $"plant/{site}/l1/m2/telemetry", """{"speed": 10}""");
        var twin = $"{site}.l1.m2";
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "speed") is not null, "device seen");

        var delivery = await gateway.Connection.SendAsync(new DeviceCommand("c-1", twin, "speed", null, TagValue.FromInteger(20), [], DateTimeOffset.UtcNow.AddSeconds(30)), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Delivered, delivery.Status);
        var command = await Wait.ReadAsync(device.Messages);
        using (var body = JsonDocument.Parse(command.Payload))
        {
            Assert.Equal("c-1", body.RootElement.GetProperty("id").GetString());
            Assert.Equal("speed", body.RootElement.GetProperty("tag").GetString());
            Assert.Equal(20, body.RootElement.GetProperty("value").GetInt64());
        }
        await PublishAsync(device, $"plant/{site}/l1/m2/ack", """{"id": "c-1", "status": "applied"}""");
        await Wait.UntilAsync(() => gateway.Sink.Outcomes.Any(o => o.CommandId == "c-1" && o.Status == CommandDeliveryStatus.Applied && o.TwinId == twin), "applied");

        await gateway.Connection.SendAsync(new DeviceCommand("c-2", twin, null, "reset", default, [TagValue.FromString("hard")], DateTimeOffset.UtcNow.AddSeconds(30)), Wait.Token());
        var method = await Wait.ReadAsync(device.Messages);
        Assert.Contains("\"method\":\"reset\"", Encoding.UTF8.GetString(method.Payload), StringComparison.Ordinal);
        await PublishAsync(device, $"plant/{site}/l1/m2/ack", """{"id": "c-2", "status": "rejected", "reason": "interlock"}""");
        await Wait.UntilAsync(() => gateway.Sink.Outcomes.Any(o => o.CommandId == "c-2" && o.Status == CommandDeliveryStatus.Rejected && o.Reason == "interlock"), "rejected");

        // A command nobody confirms expires.
        await gateway.Connection.SendAsync(new DeviceCommand("c-3", twin, "speed", null, TagValue.FromInteger(5), [], DateTimeOffset.UtcNow.AddMilliseconds(700)), Wait.Token());
        await Wait.UntilAsync(() => gateway.Sink.Outcomes.Any(o => o.CommandId == "c-3" && o.Status == CommandDeliveryStatus.Expired), "expired");
    }

    [Fact]
    public async Task Without_an_ack_topic_a_command_is_applied_when_the_tag_reports_the_value()
    {
        var site = Site();
        await using var gateway = await StartAsync(site, ack: false);
        await using var device = await DeviceAsync(site, "m3");
        await PublishAsync(device, $"plant/{site}/l1/m3/telemetry", """{"valve": false}""");
        var twin = $"{site}.l1.m3";
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "valve") is not null, "device seen");
        await gateway.Connection.SendAsync(new DeviceCommand("v-1", twin, "valve", null, TagValue.FromBoolean(true), [], DateTimeOffset.UtcNow.AddSeconds(30)), Wait.Token());
        await PublishAsync(device, $"plant/{site}/l1/m3/telemetry", """{"valve": false}""");
        await PublishAsync(device, $"plant/{site}/l1/m3/telemetry", """{"valve": true}""");
        await Wait.UntilAsync(() => gateway.Sink.Outcomes.Any(o => o.CommandId == "v-1" && o.Status == CommandDeliveryStatus.Applied), "applied by readback");
        Assert.Single(gateway.Sink.Outcomes);
    }

    [Fact]
    public async Task A_device_whose_last_will_says_offline_has_bad_tags()
    {
        var site = Site();
        await using var gateway = await StartAsync(site);
        var device = await DeviceAsync(site, "m4", will: true);
        await PublishAsync(device, $"plant/{site}/l1/m4/telemetry", """{"temp": 1.5}""");
        var twin = $"{site}.l1.m4";
        await Wait.UntilAsync(() => gateway.Sink.Connectivity(twin) == TwinConnectivity.Online, "online");
        await device.AbortAsync();
        await Wait.UntilAsync(() => gateway.Sink.Connectivity(twin) == TwinConnectivity.Offline, "offline by last will");
        Assert.True(gateway.Sink.AllTagsHaveQuality(twin, TagQuality.Bad));
    }

    [Fact]
    public async Task Wrong_json_is_counted_logged_with_its_topic_and_the_gateway_goes_on()
    {
        var site = Site();
        await using var gateway = await StartAsync(site);
        await using var device = await DeviceAsync(site, "m5");
        var topic = $"plant/{site}/l1/m5/telemetry";
        await PublishAsync(device, topic, "{\"temp\": ");
        await PublishAsync(device, topic, "[1,2]");
        await PublishAsync(device, topic, """{"nested": {"a": 1}}""");
        await PublishAsync(device, topic, """{"ts": "yesterday", "values": {"a": 1}}""");
        await device.PublishAsync(new MqttApplicationMessage(topic, new byte[] { 0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D }, MqttQualityOfService.AtLeastOnce), Wait.Token());
        await PublishAsync(device, $"plant/{site}/l1/m5/ack", "not json");
        await PublishAsync(device, topic, """{"temp": 5}""");
        await Wait.UntilAsync(() => gateway.Sink.Tag($"{site}.l1.m5", "temp") is not null, "good message after bad ones");
        Assert.Equal(6, gateway.Connection.Statistics.BadMessages);

        // The same count is exported as a metric, tagged with the connection's name.
        long exported = -1;
        using (var listener = new System.Diagnostics.Metrics.MeterListener())
        {
            listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == MqttGatewayMetrics.MeterName) l.EnableMeasurementEvents(instrument); };
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                foreach (var tag in tags)
                    if (instrument.Name == "imv.mqtt.bad_messages" && tag.Key == "gateway" && (string?)tag.Value == gateway.Connection.Name) exported = value;
            });
            listener.Start();
            listener.RecordObservableInstruments();
        }
        Assert.Equal(6, exported);
        Assert.True(gateway.Logger.Contains(LogLevel.Warning, topic, "not valid JSON"));
        Assert.True(gateway.Logger.Contains(LogLevel.Warning, topic, "not a JSON object"));
        Assert.True(gateway.Logger.Contains(LogLevel.Warning, topic, "'yesterday'"));
    }
    [Fact]
    public async Task A_whole_number_never_narrows_a_tag_and_a_value_that_does_not_fit_is_refused_and_counted()
    {
        var site = Site();
        await using var gateway = await StartAsync(site);
        await using var device = await DeviceAsync(site, "m6");
        var topic = $"plant/{site}/l1/m6/telemetry";
        var twin = $"{site}.l1.m6";
        // Declared Double: a whole number (what many JSON writers emit for 12.0) arrives as a Double.
        await PublishAsync(device, topic, """{"Flow": 12, "level": 3}""");
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "level") is not null, "first reading");
        Assert.Equal(TagValue.FromDouble(12), gateway.Sink.Tag(twin, "Flow")!.Value.Value);
        // Learned Integer: a fraction widens it to Double, and later whole numbers stay Doubles.
        await PublishAsync(device, topic, """{"level": 3.5}""");
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "level")?.Value.DataType == TagDataType.Double, "widened to double");
        await PublishAsync(device, topic, """{"level": 4, "Flow": 13}""");
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "level")?.Value == TagValue.FromDouble(4), "whole number into the widened tag");
        var tags = gateway.Sink.Twins[twin].Description!.Tags.ToDictionary(t => t.Name);
        Assert.Equal(TagDataType.Double, tags["Flow"].DataType);
        Assert.Equal(TagDataType.Double, tags["level"].DataType);
        Assert.Equal(("m3/h", true, false), (tags["Flow"].Unit, tags["Flow"].Writable, tags["level"].Writable));
        Assert.Equal((gateway.Connection.Name, $"{topic} Flow"), (tags["Flow"].SourceGateway, tags["Flow"].SourceAddress));

        // A command Flow=13.5 goes out (the tag stayed Double).
        var delivery = await gateway.Connection.SendAsync(new DeviceCommand("f-1", twin, "Flow", null, TagValue.FromDouble(13.5), [], DateTimeOffset.UtcNow.AddSeconds(30)), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Delivered, delivery.Status);

        // A string does not fit a Double tag: delivered as Bad, counted, logged naming twin, tag, expected and received type.
        await PublishAsync(device, topic, """{"Flow": "high"}""");
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "Flow")?.Quality == TagQuality.Bad, "misfit delivered as Bad");
        Assert.Equal(1, gateway.Connection.Statistics.TypeMismatches);
        Assert.True(gateway.Logger.Contains(LogLevel.Warning, twin, "Flow", "expected Double", "received String"));
        Assert.Equal(TagDataType.Double, gateway.Sink.Twins[twin].Description!.Tags.Single(t => t.Name == "Flow").DataType);
        Assert.Equal(1, gateway.Connection.Snapshot().TypeMismatches);
    }

    [Fact]
    public async Task Tags_are_read_only_unless_declared_writable_and_declared_limits_and_methods_hold()
    {
        var site = Site();
        await using var gateway = await StartAsync(site);
        await using var device = await DeviceAsync(site, "m7");
        await device.SubscribeAsync($"plant/{site}/l1/m7/cmd", MqttQualityOfService.AtLeastOnce, Wait.Token());
        await PublishAsync(device, $"plant/{site}/l1/m7/telemetry", """{"temp": 20.5, "speed": 10}""");
        var twin = $"{site}.l1.m7";
        await Wait.UntilAsync(() => gateway.Sink.Tag(twin, "speed") is not null, "device seen");

        // Methods travel in the description with their arguments.
        var methods = gateway.Sink.Twins[twin].Description!.Methods!.ToDictionary(m => m.Name);
        Assert.Equal(["jog", "reset"], methods.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(("distance", TagDataType.Double), (methods["jog"].InputArguments[0].Name, methods["jog"].InputArguments[0].DataType));

        async Task<string?> RejectedAsync(DeviceCommand command)
        {
            var result = await gateway.Connection.SendAsync(command, Wait.Token());
            Assert.Equal(CommandDeliveryStatus.Rejected, result.Status);
            return result.Reason;
        }
        var expires = DateTimeOffset.UtcNow.AddSeconds(30);
        Assert.Contains("read-only", await RejectedAsync(new DeviceCommand("r-1", twin, "temp", null, TagValue.FromDouble(30), [], expires)), StringComparison.Ordinal);
        Assert.Contains("above the maximum 100", await RejectedAsync(new DeviceCommand("r-2", twin, "speed", null, TagValue.FromInteger(150), [], expires)), StringComparison.Ordinal);
        Assert.Contains("not declared", await RejectedAsync(new DeviceCommand("r-3", twin, null, "explode", default, [], expires)), StringComparison.Ordinal);
        Assert.Contains("takes 1 arguments", await RejectedAsync(new DeviceCommand("r-4", twin, null, "jog", default, [], expires)), StringComparison.Ordinal);
        Assert.Contains("cannot take the String", await RejectedAsync(new DeviceCommand("r-5", twin, null, "jog", default, [TagValue.FromString("far")], expires)), StringComparison.Ordinal);
        Assert.Equal(5, gateway.Connection.Statistics.CommandsRejected);

        // An integer argument of a Double parameter is widened and published.
        var jog = await gateway.Connection.SendAsync(new DeviceCommand("j-1", twin, null, "jog", default, [TagValue.FromInteger(3)], expires), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Delivered, jog.Status);
        var published = await Wait.ReadAsync(device.Messages);
        using var body = JsonDocument.Parse(published.Payload);
        Assert.Equal("j-1", body.RootElement.GetProperty("id").GetString()); // none of the rejected commands was published
        Assert.Equal(3.0, body.RootElement.GetProperty("args")[0].GetDouble());
    }

    [Fact]
    public async Task A_command_to_a_twin_whose_device_is_offline_is_rejected_and_not_published()
    {
        var site = Site();
        await using var gateway = await StartAsync(site);
        var device = await DeviceAsync(site, "m8", will: true);
        await using var listener = await DeviceAsync(site, "listener");
        await listener.SubscribeAsync($"plant/{site}/l1/m8/cmd", MqttQualityOfService.AtLeastOnce, Wait.Token());
        await PublishAsync(device, $"plant/{site}/l1/m8/telemetry", """{"speed": 5}""");
        var twin = $"{site}.l1.m8";
        await Wait.UntilAsync(() => gateway.Sink.Connectivity(twin) == TwinConnectivity.Online, "online");
        await device.AbortAsync();
        await Wait.UntilAsync(() => gateway.Sink.Connectivity(twin) == TwinConnectivity.Offline, "offline by last will");

        var result = await gateway.Connection.SendAsync(new DeviceCommand("o-1", twin, "speed", null, TagValue.FromInteger(20), [], DateTimeOffset.UtcNow.AddSeconds(30)), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Rejected, result.Status);
        Assert.Contains("offline", result.Reason, StringComparison.Ordinal);
        Assert.Contains("not published", result.Reason, StringComparison.Ordinal);
        // Nothing went out: the first message on the command topic is a marker published after the command.
        await PublishAsync(listener, $"plant/{site}/l1/m8/cmd", """{"marker": true}""");
        var first = await Wait.ReadAsync(listener.Messages);
        Assert.Contains("marker", Encoding.UTF8.GetString(first.Payload), StringComparison.Ordinal);

        // The device comes back: commands go out again.
        await using var again = await DeviceAsync(site, "m8b");
        await PublishAsync(again, $"plant/{site}/l1/m8/telemetry", """{"speed": 6}""");
        await Wait.UntilAsync(() => gateway.Sink.Connectivity(twin) == TwinConnectivity.Online, "online again");
        var delivered = await gateway.Connection.SendAsync(new DeviceCommand("o-2", twin, "speed", null, TagValue.FromInteger(20), [], DateTimeOffset.UtcNow.AddSeconds(30)), Wait.Token());
        Assert.Equal(CommandDeliveryStatus.Delivered, delivered.Status);
    }
}

[Collection("broker")]
public sealed class JsonGatewayOnOwnClientTests(BrokerFixture fixture) : JsonGatewayTests(fixture)
{
    protected override MqttClientKind Client => MqttClientKind.Own;
}

[Collection("broker")]
public sealed class JsonGatewayOnMqttNetTests(BrokerFixture fixture) : JsonGatewayTests(fixture)
{
    protected override MqttClientKind Client => MqttClientKind.MqttNet;
}
