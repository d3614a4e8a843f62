using System.Text;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>Client behaviour that mosquitto does not exercise, against a scripted broker.</summary>
public sealed class ScriptedBrokerTests
{
    private static MqttClientOptions Options(int port) => new()
    {
        Port = port,
        ClientId = "scripted",
        ReconnectMinDelay = TimeSpan.FromMilliseconds(20),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(100),
    };

    // PUBLISH v5 QoS 0: topic, properties (topic alias 1), payload.
    private static readonly byte[] PublishWithAlias = [0x30, 0x0B, 0x00, 0x03, (byte)'a', (byte)'/', (byte)'b', 0x03, 0x23, 0x00, 0x01, (byte)'1', (byte)'!'];
    private static readonly byte[] PublishAliasOnly = [0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01, (byte)'2'];

    [Fact]
    public async Task Inbound_topic_aliases_are_resolved()
    {
        await using var broker = new ScriptedBroker(async (_, stream) =>
        {
            await stream.WriteAsync(PublishWithAlias);
            await stream.WriteAsync(PublishAliasOnly);
        });
        await using var client = new MqttClient(Options(broker.Port));
        await client.ConnectAsync(Wait.Token());
        var first = await Wait.ReadAsync(client.Messages);
        var second = await Wait.ReadAsync(client.Messages);
        Assert.Equal(("a/b", "1!"), (first.Topic, Encoding.ASCII.GetString(first.Payload)));
        Assert.Equal(("a/b", "2"), (second.Topic, Encoding.ASCII.GetString(second.Payload)));
    }

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
        await using var client = new MqttClient(Options(broker.Port));
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
        await using var client = new MqttClient(Options(broker.Port), logger);
        await client.ConnectAsync(Wait.Token());
        var message = await Wait.ReadAsync(client.Messages);
        Assert.Equal("a/b", message.Topic);
        Assert.Equal(1, client.Statistics.DecodeErrors);
        Assert.Equal(1, client.Statistics.Reconnects);
        Assert.True(logger.Contains(LogLevel.Error, "malformed packet", "reserved header flags"));
    }
}
