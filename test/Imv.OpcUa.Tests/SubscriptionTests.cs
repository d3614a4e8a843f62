using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;
using Xunit;

namespace Imv.OpcUa.Tests;

[Collection(PlcCollection.Name)]
public sealed class SubscriptionTests(PlcFixture plc)
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(10);

    private async Task<UaClient> ConnectAsync(TimeSpan? channelLifetime = null, string? user = null)
    {
        var client = new UaClient(new UaClientOptions
        {
            EndpointUrl = plc.EndpointUrl,
            ChannelLifetime = channelLifetime ?? TimeSpan.FromMinutes(10),
            UserName = user,
            Password = user is null ? null : "secret",
        });
        await client.ConnectAsync(Ct);
        return client;
    }

    /// <summary>Publishes until <paramref name="settle"/> passes without notifications, collecting values per handle.</summary>
    private static async Task<List<(uint Handle, double Value)>> CollectAsync(UaClient client, uint subscriptionId, List<SubscriptionAcknowledgement> acks, TimeSpan settle)
    {
        var values = new List<(uint, double)>();
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow - quietSince < settle)
        {
            var result = await client.PublishAsync(acks.ToArray(), PublishTimeout, Ct);
            acks.Clear();
            Assert.Equal(subscriptionId, result.SubscriptionId);
            if (result.Message.NotificationData.Length == 0) continue; // keep-alive
            acks.Add(new SubscriptionAcknowledgement(subscriptionId, result.Message.SequenceNumber));
            foreach (var data in result.Message.NotificationData)
            {
                if (data.Decoded is DataChangeNotification changes)
                {
                    foreach (var item in changes.MonitoredItems.Span)
                    {
                        Assert.True(item.Value.Value.TryGetDouble(out var v));
                        values.Add((item.ClientHandle, v));
                    }
                    quietSince = DateTime.UtcNow;
                }
            }
        }
        return values;
    }

    [Fact]
    public async Task Absolute_and_percent_deadbands_filter_small_changes()
    {
        await using var client = await ConnectAsync();
        var analog = new NodeId("Types.Analog", 1);
        Assert.Equal(StatusCode.Good, await client.WriteValueAsync(analog, Variant.From(10.0), Ct));
        var subscription = await client.CreateSubscriptionAsync(50, 300, 10, 0, Ct);
        var items = await client.CreateMonitoredItemsAsync(subscription.SubscriptionId,
        [
            new MonitoredItemRequest(analog, 1, 20, 10, new DataChangeFilter(1, 1, 2.0)),
            new MonitoredItemRequest(analog, 2, 20, 10, new DataChangeFilter(1, 2, 10.0)), // 10% of 0..100
            new MonitoredItemRequest(analog, 3, 20, 10),
        ], Ct);
        Assert.All(items, i => Assert.Equal("Good", StatusCode.NameOf(i.StatusCode)));
        var acks = new List<SubscriptionAcknowledgement>();
        var initial = await CollectAsync(client, subscription.SubscriptionId, acks, TimeSpan.FromMilliseconds(400));
        Assert.Equal(3, initial.Count); // every item reports its initial value

        double[] steps = [11.0, 12.5, 15.0, 21.0, 21.5];
        var seen = new List<(uint Handle, double Value)>();
        foreach (var step in steps)
        {
            Assert.Equal(StatusCode.Good, await client.WriteValueAsync(analog, Variant.From(step), Ct));
            seen.AddRange(await CollectAsync(client, subscription.SubscriptionId, acks, TimeSpan.FromMilliseconds(300)));
        }
        // No deadband: every change. Absolute 2.0 from 10: 12.5, 15, 21 (11 and 21.5 are within 2).
        // Percent 10% of 100 = 10 from 10: only 21.
        Assert.Equal(steps, seen.Where(s => s.Handle == 3).Select(s => s.Value));
        Assert.Equal([12.5, 15.0, 21.0], seen.Where(s => s.Handle == 1).Select(s => s.Value));
        Assert.Equal([21.0], seen.Where(s => s.Handle == 2).Select(s => s.Value));

        var deleted = await client.DeleteMonitoredItemsAsync(subscription.SubscriptionId, items.Select(i => i.MonitoredItemId).ToArray(), Ct);
        Assert.All(deleted, d => Assert.Equal(StatusCode.Good, d));
        Assert.Equal(StatusCode.Good, (await client.DeleteSubscriptionsAsync([subscription.SubscriptionId], Ct))[0]);
    }

    [Fact]
    public async Task Subscriptions_are_modified_republished_and_transferred_between_sessions()
    {
        // Transfers need the same user on both sessions (anonymous users cannot prove it on a None channel).
        await using var first = await ConnectAsync(user: "operator");
        var subscription = await first.CreateSubscriptionAsync(100, 600, 10, 0, Ct);
        var modified = await first.ModifySubscriptionAsync(subscription.SubscriptionId, 200, 600, 10, 0, Ct);
        Assert.Equal(200, modified.PublishingInterval);
        var items = await first.CreateMonitoredItemsAsync(subscription.SubscriptionId, [new MonitoredItemRequest(new NodeId("Plant.Machine1.Temperature", 1), 9, 100, 5)], Ct);
        Assert.Equal(StatusCode.Good, items[0].StatusCode);

        PublishResult result;
        do result = await first.PublishAsync([], PublishTimeout, Ct);
        while (result.Message.NotificationData.Length == 0);
        // Not acknowledged: the server keeps it for Republish.
        Assert.Contains(result.Message.SequenceNumber, result.AvailableSequenceNumbers);
        var again = await first.RepublishAsync(subscription.SubscriptionId, result.Message.SequenceNumber, Ct);
        Assert.Equal(result.Message.SequenceNumber, again.SequenceNumber);
        Assert.IsType<DataChangeNotification>(again.NotificationData[0].Decoded);
        var missing = await Assert.ThrowsAsync<UaServiceException>(() => first.RepublishAsync(subscription.SubscriptionId, 999999, Ct));
        Assert.Equal("BadMessageNotAvailable", missing.StatusName);

        await using var second = await ConnectAsync(user: "operator");
        var transfer = await second.TransferSubscriptionsAsync([subscription.SubscriptionId], true, Ct);
        Assert.Equal("Good", StatusCode.NameOf(transfer[0].StatusCode));
        do result = await second.PublishAsync([], PublishTimeout, Ct);
        while (result.Message.NotificationData.Length == 0 || result.Message.NotificationData[0].Decoded is not DataChangeNotification);
        Assert.Equal(subscription.SubscriptionId, result.SubscriptionId);
    }

    [Fact]
    public async Task The_security_token_is_renewed_before_it_expires()
    {
        await using var client = await ConnectAsync(TimeSpan.FromSeconds(2));
        var channel = client.Channel!;
        var lifetime = channel.TokenLifetime;
        var deadline = DateTime.UtcNow + lifetime * 3 + TimeSpan.FromSeconds(5);
        while (channel.RenewCount < 2 && DateTime.UtcNow < deadline)
        {
            Assert.Equal(StatusCode.Good, (await client.ReadValueAsync(WellKnownNodes.ServerState, Ct)).StatusCode);
            await Task.Delay(100);
        }
        Assert.True(channel.RenewCount >= 2, $"renewed {channel.RenewCount} times in {lifetime.TotalSeconds * 3 + 5} s");
        Assert.True(channel.IsOpen);
        Assert.Equal(StatusCode.Good, (await client.ReadValueAsync(WellKnownNodes.ServerState, Ct)).StatusCode);
    }
}
