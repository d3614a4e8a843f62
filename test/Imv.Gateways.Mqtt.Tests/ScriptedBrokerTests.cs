using System.Text;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>Client behaviour that mosquitto does not exercise, against a scripted broker, for each client the gateway
/// can use.</summary>
public abstract class ScriptedBrokerTests
{
    /// <summary>A client of the kind under test.</summary>
    private protected abstract IMqttGatewayClient Create(MqttClientOptions options, ILogger? logger = null);

    protected static MqttClientOptions Options(int port) => new()
    {
        Port = port,
        ClientId = "scripted",
        ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
    };

    // PUBLISH v5 QoS 0: topic, properties (topic alias 1), payload.
    protected static readonly byte[] PublishWithAlias = [0x30, 0x0B, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'b', 0x03, 0x23, 0x00, 0x01, (byte)'1', (byte)'!'];
    protected static readonly byte[] PublishAliasOnly = [0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, (byte)'2'];

    [Fact]
    public async Task Inbound_topic_aliases_are_resolved()
    {
        await using var broker = new ScriptedBroker(async (_, stream) =>
        {
            await stream.WriteAsync(PublishWithAlias);
            await stream.WriteAsync(PublishAliasOnly);
        });
        await using var client = Create(Options(broker.Port));
        await client.ConnectAsync(Wait.Token());
        var first = await Wait.ReadAsync(client.Messages);
        var second = await Wait.ReadAsync(client.Messages);
        Assert.Equal(("a/b", "1!"), (first.Topic, Encoding.ASCII.GetString(first.Payload)));
        Assert.Equal(("a/b", "2"), (second.Topic, Encoding.ASCII.GetString(second.Payload)));
    }
}

public sealed class OwnClientScriptedBrokerTests : ScriptedBrokerTests
{
    private protected override IMqttGatewayClient Create(MqttClientOptions options, ILogger? logger = null) => new MqttClient(options, logger);

    [Fact]
    public async Task A_duplicate_qos2_delivery_is_delivered_once_and_the_handshake_completes()
    {
        var acks = new System.Collections.Concurrent.ConcurrentQueue<byte>();
        await using var broker = new ScriptedBroker(async (_, stream) =>
        {
            // PUBLISH QoS 2, id 5, topic "q", no properties, payload "x"; then the same again with DUP.
            byte[] publish = [0x34, 0x07, 0x00, 0x01, (byte)'q', 0x00, 0x05, 0x00, (byte)'x'];
            await stream.WriteAsync(publish);
            publish[0] |= 0x08;
            await stream.WriteAsync(publish);
            for (var i = 0; i < 2; i++) acks.Enqueue((await ScriptedBroker.ReadPacketAsync(stream))!.Value.First);
            await stream.WriteAsync(new byte[] { 0x62, 0x02, 0x00, 0x05 }); // PUBREL
            acks.Enqueue((await ScriptedBroker.ReadPacketAsync(stream))!.Value.First);
        });
        await using var client = Create(Options(broker.Port));
        await client.ConnectAsync(Wait.Token());
        Assert.Equal("x", Encoding.ASCII.GetString((await Wait.ReadAsync(client.Messages)).Payload));
        await Wait.UntilAsync(() => acks.Count == 3, "PUBREC, PUBREC, PUBCOMP");
        Assert.Equal(new byte[] { 0x50, 0x50, 0x70 }, acks.ToArray());
        Assert.False(client.Messages.TryRead(out _));
        Assert.Equal(1, client.Statistics.MessagesReceived);
    }

    [Fact]
    public async Task A_malformed_packet_is_counted_logged_and_the_client_reconnects()
    {
        await using var broker = new ScriptedBroker(async (connection, stream) =>
        {
            if (connection == 1) await stream.WriteAsync(new byte[] { 0x41, 0x02, 0x00, 0x01 }); // PUBACK with reserved flags
            else await stream.WriteAsync(PublishWithAlias);
        });
        var logger = new TestLogger();
        await using var client = Create(Options(broker.Port), logger);
        await client.ConnectAsync(Wait.Token());
        var message = await Wait.ReadAsync(client.Messages);
        Assert.Equal("a/b", message.Topic);
        Assert.Equal(1, client.Statistics.DecodeErrors);
        Assert.Equal(1, client.Statistics.Reconnects);
        Assert.True(logger.Contains(LogLevel.Error, "malformed packet", "reserved header flags"));
    }
}

public sealed class MqttNetClientScriptedBrokerTests : ScriptedBrokerTests
{
    private protected override IMqttGatewayClient Create(MqttClientOptions options, ILogger? logger = null) => new MqttNetClient(options, logger);

    [Fact]
    public async Task A_topic_alias_used_before_it_was_defined_is_counted_and_the_message_dropped()
    {
        await using var broker = new ScriptedBroker(async (_, stream) =>
        {
            await stream.WriteAsync(PublishAliasOnly);
            await stream.WriteAsync(PublishWithAlias);
        });
        await using var client = Create(Options(broker.Port));
        await client.ConnectAsync(Wait.Token());
        var first = await Wait.ReadAsync(client.Messages);
        Assert.Equal(("a/b", "1!"), (first.Topic, Encoding.ASCII.GetString(first.Payload)));
        // The counter moves just after the message is in the buffer (its reader may run first).
        await Wait.UntilAsync(() => client.Statistics.MessagesReceived == 1, "the defined alias's message counted");
        Assert.Equal(1, client.Statistics.DecodeErrors);
    }
}

public sealed class MqttReconnectBackoffTests
{
    [Fact]
    public void Reconnect_delays_double_up_to_the_maximum_with_half_of_each_delay_random()
    {
        var options = new MqttClientOptions { ReconnectMinDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromSeconds(10) };
        for (var attempt = 0; attempt < 40; attempt++)
        {
            var full = Math.Min(10_000, 100 * Math.Pow(2, Math.Min(attempt, 30)));
            var delays = Enumerable.Range(0, 200).Select(_ => MqttReconnectBackoff.Delay(options, attempt).TotalMilliseconds).ToList();
            Assert.All(delays, d => Assert.InRange(d, full / 2, full));
            // Jitter: not all the same (clients of a restarted broker must not reconnect in lockstep).
            Assert.True(delays.Max() - delays.Min() > full / 10, $"attempt {attempt}: delays {delays.Min()}..{delays.Max()} ms are not spread");
        }
    }
}
