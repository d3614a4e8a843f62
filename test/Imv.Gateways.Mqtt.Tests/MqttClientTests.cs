using System.Text;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>The MQTT client tests, run against each client the gateway can use (<see cref="OwnMqttClientTests"/>,
/// <see cref="MqttNetClientTests"/>).</summary>
public abstract class MqttClientTests(BrokerFixture fixture)
{
    private readonly MosquittoBroker _broker = fixture.Broker;

    /// <summary>A client of the kind under test.</summary>
    private protected abstract IMqttGatewayClient Create(MqttClientOptions options, ILogger? logger = null);

    protected static string Unique(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    private protected async Task<IMqttGatewayClient> ConnectAsync(string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500, Action<MqttClientOptions>? configure = null, ILogger? logger = null)
    {
        var options = _broker.ClientOptions(clientId, version);
        configure?.Invoke(options);
        var client = Create(options, logger);
        await client.ConnectAsync(Wait.Token());
        return client;
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V311, MqttQualityOfService.ExactlyOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.AtMostOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.AtLeastOnce)]
    [InlineData(MqttProtocolVersion.V500, MqttQualityOfService.ExactlyOnce)]
    public async Task Publish_and_receive_at_each_qos_in_both_directions(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        var topic = Unique("roundtrip") + "/a";
        await using var subscriber = await ConnectAsync(Unique("sub"), version);
        await using var publisher = await ConnectAsync(Unique("pub"), version);
        var granted = await subscriber.SubscribeAsync(topic, qos, Wait.Token());
        Assert.Equal(qos, granted[0]);

        for (var i = 0; i < 50; i++)
        {
            var result = await publisher.PublishAsync(new MqttApplicationMessage(topic, Encoding.UTF8.GetBytes("m" + i), qos), Wait.Token());
            Assert.True(result.IsSuccess, $"reason 0x{result.ReasonCode:X2}");
        }
        for (var i = 0; i < 50; i++)
        {
            var message = await Wait.ReadAsync(subscriber.Messages);
            Assert.Equal(topic, message.Topic);
            Assert.Equal("m" + i, Encoding.UTF8.GetString(message.Payload));
            Assert.Equal(qos, message.Qos);
        }
        Assert.False(subscriber.Messages.TryRead(out var extra), $"unexpected extra message {extra?.Topic}");
    }

    [Fact]
    public async Task A_shared_subscription_delivers_each_message_to_one_member_of_the_group()
    {
        var topic = Unique("shared") + "/line/count";
        await using var first = await ConnectAsync(Unique("member"));
        await using var second = await ConnectAsync(Unique("member"));
        await using var publisher = await ConnectAsync(Unique("pub"));
        await first.SubscribeAsync($"$share/gateways/{topic}", MqttQualityOfService.AtLeastOnce, Wait.Token());
        await second.SubscribeAsync($"$share/gateways/{topic}", MqttQualityOfService.AtLeastOnce, Wait.Token());
        const int count = 100;
        for (var i = 0; i < count; i++)
            await publisher.PublishAsync(new MqttApplicationMessage(topic, BitConverter.GetBytes(i), MqttQualityOfService.AtLeastOnce), Wait.Token());
        var seen = new List<int>();
        var perMember = new int[2];
        await Wait.UntilAsync(() =>
        {
            while (first.Messages.TryRead(out var m)) { seen.Add(BitConverter.ToInt32(m.Payload)); perMember[0]++; }
            while (second.Messages.TryRead(out var m)) { seen.Add(BitConverter.ToInt32(m.Payload)); perMember[1]++; }
            return seen.Count >= count;
        }, "every message delivered to the group");
        Assert.Equal(Enumerable.Range(0, count), seen.Order());
        Assert.True(perMember[0] > 0 && perMember[1] > 0, $"both members served ({perMember[0]} / {perMember[1]})");
    }

    [Fact]
    public async Task Wildcard_filters_match_levels_and_unsubscribe_stops_delivery()
    {
        var root = Unique("wild");
        await using var plus = await ConnectAsync(Unique("plus"));
        await using var hash = await ConnectAsync(Unique("hash"));
        await using var publisher = await ConnectAsync(Unique("pub"));
        await plus.SubscribeAsync($"{root}/+/temp", MqttQualityOfService.AtLeastOnce, Wait.Token());
        await hash.SubscribeAsync($"{root}/#", MqttQualityOfService.AtLeastOnce, Wait.Token());

        string[] topics = [$"{root}/m1/temp", $"{root}/m1/pressure", $"{root}/m2/temp", $"{root}/m2/x/temp"];
        foreach (var t in topics) await publisher.PublishAsync(new MqttApplicationMessage(t, new byte[] { 1 }, MqttQualityOfService.AtLeastOnce), Wait.Token());

        var plusTopics = new[] { (await Wait.ReadAsync(plus.Messages)).Topic, (await Wait.ReadAsync(plus.Messages)).Topic };
        Assert.Equal(new[] { $"{root}/m1/temp", $"{root}/m2/temp" }, plusTopics);
        var hashTopics = new List<string>();
        for (var i = 0; i < 4; i++) hashTopics.Add((await Wait.ReadAsync(hash.Messages)).Topic);
        Assert.Equal(topics, hashTopics);

        await plus.UnsubscribeAsync([$"{root}/+/temp"], Wait.Token());
        await publisher.PublishAsync(new MqttApplicationMessage($"{root}/m3/temp", new byte[] { 2 }, MqttQualityOfService.AtLeastOnce), Wait.Token());
        Assert.Equal($"{root}/m3/temp", (await Wait.ReadAsync(hash.Messages)).Topic);
        // hash received the later message, so the broker has processed it; plus must not have it.
        Assert.False(plus.Messages.TryRead(out _));
        Assert.True(MqttTopic.Matches("a/+/c", "a/b/c"));
        Assert.True(MqttTopic.Matches("a/#", "a"));
        Assert.False(MqttTopic.Matches("+/x", "$SYS/x"));
        Assert.False(MqttTopic.Matches("a/+", "a/b/c"));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Retained_message_reaches_a_later_subscriber(MqttProtocolVersion version)
    {
        var topic = Unique("retained") + "/state";
        await using var publisher = await ConnectAsync(Unique("pub"), version);
        await publisher.PublishAsync(new MqttApplicationMessage(topic, "on"u8.ToArray(), MqttQualityOfService.AtLeastOnce, retain: true), Wait.Token());
        await using var subscriber = await ConnectAsync(Unique("sub"), version);
        await subscriber.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, Wait.Token());
        var message = await Wait.ReadAsync(subscriber.Messages);
        Assert.True(message.Retain);
        Assert.Equal("on", Encoding.UTF8.GetString(message.Payload));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Last_will_is_published_retained_when_a_client_vanishes(MqttProtocolVersion version)
    {
        var topic = Unique("will") + "/status";
        await using var watcher = await ConnectAsync(Unique("watch"), version);
        await watcher.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, Wait.Token());
        var device = await ConnectAsync(Unique("dev"), version, o => o.Will = new MqttApplicationMessage(topic, "offline"u8.ToArray(), MqttQualityOfService.AtLeastOnce, retain: true));
        await device.AbortAsync();

        var will = await Wait.ReadAsync(watcher.Messages);
        Assert.Equal("offline", Encoding.UTF8.GetString(will.Payload));
        Assert.Equal(MqttQualityOfService.AtLeastOnce, will.Qos);
        // Retained: a new subscriber still sees it.
        await using var late = await ConnectAsync(Unique("late"), version);
        await late.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, Wait.Token());
        Assert.True((await Wait.ReadAsync(late.Messages)).Retain);
    }

    [Fact]
    public async Task Graceful_disconnect_does_not_publish_the_will()
    {
        var topic = Unique("nowill");
        await using var watcher = await ConnectAsync(Unique("watch"));
        await watcher.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, Wait.Token());
        var device = await ConnectAsync(Unique("dev"), configure: o => o.Will = new MqttApplicationMessage(topic, "offline"u8.ToArray(), MqttQualityOfService.AtLeastOnce));
        await device.DisconnectAsync();
        await using var publisher = await ConnectAsync(Unique("pub"));
        await publisher.PublishAsync(new MqttApplicationMessage(topic, "marker"u8.ToArray(), MqttQualityOfService.AtLeastOnce), Wait.Token());
        Assert.Equal("marker", Encoding.UTF8.GetString((await Wait.ReadAsync(watcher.Messages)).Payload));
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Session_resume_delivers_messages_queued_while_offline(MqttProtocolVersion version)
    {
        var topic = Unique("session");
        var clientId = Unique("persistent");
        void Persistent(MqttClientOptions o) { o.CleanStart = false; o.SessionExpiryInterval = 300; }
        var first = await ConnectAsync(clientId, version, Persistent);
        await first.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, Wait.Token());
        await first.DisconnectAsync();

        await using var publisher = await ConnectAsync(Unique("pub"), version);
        for (var i = 0; i < 10; i++)
            await publisher.PublishAsync(new MqttApplicationMessage(topic, new[] { (byte)i }, MqttQualityOfService.AtLeastOnce), Wait.Token());

        var sessionPresent = false;
        var options = _broker.ClientOptions(clientId, version);
        Persistent(options);
        await using var second = Create(options);
        second.ConnectionStateChanged += (_, e) => { if (e.State == MqttConnectionState.Connected) sessionPresent = e.SessionPresent; };
        await second.ConnectAsync(Wait.Token());
        Assert.True(sessionPresent);
        for (var i = 0; i < 10; i++) Assert.Equal(i, (await Wait.ReadAsync(second.Messages)).Payload[0]);
    }

    [Fact]
    public async Task Mqtt5_properties_travel_user_properties_message_expiry_and_content_type()
    {
        var topic = Unique("props");
        await using var subscriber = await ConnectAsync(Unique("sub"));
        await using var publisher = await ConnectAsync(Unique("pub"));
        await subscriber.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, Wait.Token());
        await publisher.PublishAsync(new MqttApplicationMessage(topic, "{}"u8.ToArray(), MqttQualityOfService.AtLeastOnce)
        {
            MessageExpiryInterval = 600,
            ContentType = "application/json",
            UserProperties = [new MqttUserProperty("site", "north"), new MqttUserProperty("line", "3")],
        }, Wait.Token());
        var message = await Wait.ReadAsync(subscriber.Messages);
        Assert.NotNull(message.Properties);
        Assert.Equal("application/json", message.Properties!.ContentType);
        Assert.InRange(message.Properties.MessageExpiryInterval!.Value, 590u, 600u);
        Assert.Equal([new MqttUserProperty("site", "north"), new MqttUserProperty("line", "3")], message.Properties.UserProperties);
    }

    [Fact]
    public async Task In_flight_window_bounds_unacknowledged_publications_and_packet_ids_are_reused()
    {
        var topic = Unique("window");
        await using var subscriber = await ConnectAsync(Unique("sub"), configure: o => o.ReceiveBufferCapacity = 100_000);
        await using var publisher = await ConnectAsync(Unique("pub"), configure: o => o.MaxInFlight = 64);
        await subscriber.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, Wait.Token());
        const int count = 70_000; // more than 65,535 packet ids: they must be reused
        var tasks = new List<Task<MqttPublishResult>>(count);
        var maxInFlight = 0;
        for (var i = 0; i < count; i++)
        {
            tasks.Add(publisher.PublishAsync(new MqttApplicationMessage(topic, BitConverter.GetBytes(i), MqttQualityOfService.AtLeastOnce), CancellationToken.None).AsTask());
            maxInFlight = Math.Max(maxInFlight, publisher.InFlightCount);
        }
        var results = await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.InRange(maxInFlight, 1, 64);
        // Concurrent publishers are not ordered among themselves; every message must arrive once.
        var seen = new HashSet<int>();
        for (var i = 0; i < count; i++) Assert.True(seen.Add(BitConverter.ToInt32((await Wait.ReadAsync(subscriber.Messages)).Payload)));
        Assert.Equal(count, seen.Count);
    }

    [Fact]
    public async Task Slow_consumer_bounds_memory_drops_qos0_with_a_count_and_keeps_qos1()
    {
        var topic = Unique("slow");
        var logger = new TestLogger();
        await using var subscriber = await ConnectAsync(Unique("sub"), configure: o => o.ReceiveBufferCapacity = 16, logger: logger);
        await using var publisher = await ConnectAsync(Unique("pub"));
        await subscriber.SubscribeAsync(topic + "/#", MqttQualityOfService.AtLeastOnce, Wait.Token());

        for (var i = 0; i < 500; i++) await publisher.PublishAsync(new MqttApplicationMessage(topic + "/q0", new byte[100]), Wait.Token());
        await Wait.UntilAsync(() => subscriber.Statistics.MessagesDropped + subscriber.Statistics.MessagesReceived == 500, "500 QoS 0 messages received or dropped");
        Assert.Equal(16, subscriber.Statistics.MessagesReceived);
        Assert.Equal(484, subscriber.Statistics.MessagesDropped);
        Assert.True(logger.Contains(LogLevel.Warning, "dropped", topic + "/q0"));
        while (subscriber.Messages.TryRead(out _)) { }

        // QoS 1: the reader stops instead of dropping; nothing is lost once the consumer catches up.
        var publishes = Enumerable.Range(0, 200).Select(i => publisher.PublishAsync(new MqttApplicationMessage(topic + "/q1", BitConverter.GetBytes(i), MqttQualityOfService.AtLeastOnce), CancellationToken.None).AsTask()).ToList();
        await Wait.UntilAsync(() => subscriber.Messages.Count == 16, "buffer full");
        Assert.Equal(16, subscriber.Messages.Count);
        for (var i = 0; i < 200; i++) Assert.Equal(i, BitConverter.ToInt32((await Wait.ReadAsync(subscriber.Messages)).Payload));
        await Task.WhenAll(publishes).WaitAsync(Wait.Default);
        Assert.Equal(484, subscriber.Statistics.MessagesDropped);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task Manual_acknowledgement_holds_acks_in_arrival_order_and_the_broker_redelivers_what_was_not_acknowledged(MqttProtocolVersion version)
    {
        var topic = Unique("manual-ack");
        void Persistent(MqttClientOptions o) { o.CleanStart = false; o.SessionExpiryInterval = 300; o.ManualAcknowledgement = true; }
        await using var subscriber = await ConnectAsync(Unique("held"), version, Persistent);
        await using var publisher = await ConnectAsync(Unique("pub"), version);
        await subscriber.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, Wait.Token());
        for (var i = 0; i < 3; i++)
            await publisher.PublishAsync(new MqttApplicationMessage(topic, new[] { (byte)i }, MqttQualityOfService.AtLeastOnce), Wait.Token());
        var first = new List<MqttReceivedMessage>();
        for (var i = 0; i < 3; i++) first.Add(await Wait.ReadAsync(subscriber.Messages));
        Assert.Equal([0, 1, 2], first.Select(m => (int)m.Payload[0]));

        // 1 and 2 are done, 0 is not: MQTT wants acknowledgements in arrival order, so none is sent yet.
        await subscriber.AcknowledgeAsync(first[1]);
        await subscriber.AcknowledgeAsync(first[2]);
        subscriber.BreakConnection();
        var again = new List<MqttReceivedMessage>();
        for (var i = 0; i < 3; i++) again.Add(await Wait.ReadAsync(subscriber.Messages));
        Assert.Equal([0, 1, 2], again.Select(m => (int)m.Payload[0]));

        // Now all three are acknowledged in order: after another break nothing comes back but new messages.
        foreach (var message in again) await subscriber.AcknowledgeAsync(message);
        // The broker handles a connection's packets in order: once it acknowledged a publication of the subscriber's
        // own, it has taken the acknowledgements written before it.
        await subscriber.PublishAsync(new MqttApplicationMessage(topic + "/sync", new byte[] { 0 }, MqttQualityOfService.AtLeastOnce), Wait.Token());
        subscriber.BreakConnection();
        await Wait.UntilAsync(() => subscriber.Statistics.Reconnects == 2 && subscriber.State == MqttConnectionState.Connected, "reconnected");
        await publisher.PublishAsync(new MqttApplicationMessage(topic, new byte[] { 101 }, MqttQualityOfService.AtLeastOnce), Wait.Token());
        Assert.Equal(101, (await Wait.ReadAsync(subscriber.Messages)).Payload[0]);
    }

    [Fact]
    public async Task Reconnects_after_a_broken_connection_and_restores_subscriptions()
    {
        var topic = Unique("reconnect");
        await using var subscriber = await ConnectAsync(Unique("sub"));
        await using var publisher = await ConnectAsync(Unique("pub"));
        await subscriber.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce, Wait.Token());
        var states = new System.Collections.Concurrent.ConcurrentQueue<MqttConnectionState>();
        subscriber.ConnectionStateChanged += (_, e) => states.Enqueue(e.State);

        subscriber.BreakConnection();
        await Wait.UntilAsync(() => subscriber.Statistics.Reconnects == 1 && subscriber.State == MqttConnectionState.Connected, "reconnected");
        Assert.Equal([MqttConnectionState.ConnectionLost, MqttConnectionState.Connected], states.ToArray());
        await publisher.PublishAsync(new MqttApplicationMessage(topic, "after"u8.ToArray(), MqttQualityOfService.AtLeastOnce), Wait.Token());
        Assert.Equal("after", Encoding.UTF8.GetString((await Wait.ReadAsync(subscriber.Messages)).Payload));
    }

    [Fact]
    public async Task Unacknowledged_publications_are_resent_after_reconnect()
    {
        var topic = Unique("resend");
        await using var subscriber = await ConnectAsync(Unique("sub"), configure: o => o.ReceiveBufferCapacity = 10_000);
        await subscriber.SubscribeAsync(topic, MqttQualityOfService.ExactlyOnce, Wait.Token());
        await using var publisher = await ConnectAsync(Unique("pub"), configure: o => { o.CleanStart = false; o.SessionExpiryInterval = 60; });
        var tasks = new List<Task<MqttPublishResult>>();
        for (var i = 0; i < 2000; i++)
        {
            var qos = i % 2 == 0 ? MqttQualityOfService.AtLeastOnce : MqttQualityOfService.ExactlyOnce;
            tasks.Add(publisher.PublishAsync(new MqttApplicationMessage(topic, BitConverter.GetBytes(i), qos), CancellationToken.None).AsTask());
            if (i == 1000) publisher.BreakConnection();
        }
        var results = await Task.WhenAll(tasks).WaitAsync(Wait.Default);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(1, publisher.Statistics.Reconnects);
        var seen = new HashSet<int>();
        await Wait.UntilAsync(() =>
        {
            while (subscriber.Messages.TryRead(out var m)) seen.Add(BitConverter.ToInt32(m.Payload));
            return seen.Count == 2000;
        }, "all 2000 messages received");
    }

    [Fact]
    public async Task Broker_refusal_reports_the_reason_code()
    {
        var options = _broker.ClientOptions("", MqttProtocolVersion.V311);
        options.CleanStart = false;
        Assert.Throws<ArgumentException>(() => Create(options));
        await using var client = await ConnectAsync(Unique("c"));
        await Assert.ThrowsAsync<ArgumentException>(() => client.SubscribeAsync("a/#/b", MqttQualityOfService.AtMostOnce, Wait.Token()));
        // MQTT 5 lets the broker assign a client id.
        await using var anonymous = await ConnectAsync("");
        Assert.StartsWith("auto-", anonymous.ClientId, StringComparison.Ordinal);
    }
}

[Collection("broker")]
public sealed class OwnMqttClientTests(BrokerFixture fixture) : MqttClientTests(fixture)
{
    private protected override IMqttGatewayClient Create(MqttClientOptions options, ILogger? logger = null) => new MqttClient(options, logger);

    [Fact]
    public async Task Topic_aliases_are_used_and_resolved()
    {
        var root = Unique("alias");
        await using var subscriber = await ConnectAsync(Unique("sub"));
        await using var publisher = await ConnectAsync(Unique("pub"));
        await subscriber.SubscribeAsync($"{root}/#", MqttQualityOfService.AtLeastOnce, Wait.Token());
        for (var round = 0; round < 3; round++)
            for (var t = 0; t < 5; t++)
                await publisher.PublishAsync(new MqttApplicationMessage($"{root}/t{t}", new[] { (byte)round }, MqttQualityOfService.AtLeastOnce), Wait.Token());
        Assert.True(((MqttClient)publisher).OutgoingAliasCount > 0, "the broker offered topic aliases (mosquitto: 10) and the client used none");
        for (var round = 0; round < 3; round++)
            for (var t = 0; t < 5; t++)
            {
                var m = await Wait.ReadAsync(subscriber.Messages);
                Assert.Equal($"{root}/t{t}", m.Topic);
                Assert.Equal(round, m.Payload[0]);
            }
    }
}

[Collection("broker")]
public sealed class MqttNetClientTests(BrokerFixture fixture) : MqttClientTests(fixture)
{
    private protected override IMqttGatewayClient Create(MqttClientOptions options, ILogger? logger = null) => new MqttNetClient(options, logger);
}
