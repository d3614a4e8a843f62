using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

// The subscription and monitored item services.
public sealed partial class UaClient
{
    private const uint CreateMonitoredItemsRequestId = 751;
    private const uint CreateMonitoredItemsResponseId = 754;
    private const uint DeleteMonitoredItemsRequestId = 781;
    private const uint DeleteMonitoredItemsResponseId = 784;
    private const uint CreateSubscriptionRequestId = 787;
    private const uint CreateSubscriptionResponseId = 790;
    private const uint ModifySubscriptionRequestId = 793;
    private const uint ModifySubscriptionResponseId = 796;
    private const uint PublishRequestId = 826;
    private const uint PublishResponseId = 829;
    private const uint RepublishRequestId = 832;
    private const uint RepublishResponseId = 835;
    private const uint TransferSubscriptionsRequestId = 841;
    private const uint TransferSubscriptionsResponseId = 844;
    private const uint DeleteSubscriptionsRequestId = 847;
    private const uint DeleteSubscriptionsResponseId = 850;

    /// <summary>Creates a subscription.</summary>
    public async Task<SubscriptionRevision> CreateSubscriptionAsync(double publishingIntervalMs, uint lifetimeCount, uint maxKeepAliveCount,
        uint maxNotificationsPerPublish, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(CreateSubscriptionRequestId, CreateSubscriptionResponseId,
            (publishingIntervalMs, lifetimeCount, maxKeepAliveCount, maxNotificationsPerPublish),
            static (w, s) =>
            {
                w.WriteDouble(s.publishingIntervalMs);
                w.WriteUInt32(s.lifetimeCount);
                w.WriteUInt32(s.maxKeepAliveCount);
                w.WriteUInt32(s.maxNotificationsPerPublish);
                w.WriteBoolean(true);
                w.WriteByte(0);
            }, cancellationToken).ConfigureAwait(false);
        var r = new UaBinaryReader(response.Body);
        ReadHeader(ref r, "CreateSubscription");
        return new SubscriptionRevision(r.ReadUInt32(), r.ReadDouble(), r.ReadUInt32(), r.ReadUInt32());
    }

    /// <summary>Changes a subscription's intervals.</summary>
    public async Task<SubscriptionRevision> ModifySubscriptionAsync(uint subscriptionId, double publishingIntervalMs, uint lifetimeCount,
        uint maxKeepAliveCount, uint maxNotificationsPerPublish, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(ModifySubscriptionRequestId, ModifySubscriptionResponseId,
            (subscriptionId, publishingIntervalMs, lifetimeCount, maxKeepAliveCount, maxNotificationsPerPublish),
            static (w, s) =>
            {
                w.WriteUInt32(s.subscriptionId);
                w.WriteDouble(s.publishingIntervalMs);
                w.WriteUInt32(s.lifetimeCount);
                w.WriteUInt32(s.maxKeepAliveCount);
                w.WriteUInt32(s.maxNotificationsPerPublish);
                w.WriteByte(0);
            }, cancellationToken).ConfigureAwait(false);
        var r = new UaBinaryReader(response.Body);
        ReadHeader(ref r, "ModifySubscription");
        return new SubscriptionRevision(subscriptionId, r.ReadDouble(), r.ReadUInt32(), r.ReadUInt32());
    }

    /// <summary>Deletes subscriptions.</summary>
    public async Task<uint[]> DeleteSubscriptionsAsync(IReadOnlyList<uint> subscriptionIds, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(DeleteSubscriptionsRequestId, DeleteSubscriptionsResponseId, subscriptionIds,
            static (w, s) => w.WriteUInt32Array(s), cancellationToken).ConfigureAwait(false);
        return DecodeStatusResults(response.Body, "DeleteSubscriptions");
    }

    /// <summary>Creates monitored items in the Reporting mode, with both timestamps.</summary>
    public async Task<MonitoredItemResult[]> CreateMonitoredItemsAsync(uint subscriptionId, IReadOnlyList<MonitoredItemRequest> items, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(CreateMonitoredItemsRequestId, CreateMonitoredItemsResponseId, (subscriptionId, items),
            static (w, s) =>
            {
                w.WriteUInt32(s.subscriptionId);
                w.WriteInt32(2); // both timestamps
                w.WriteArray(s.items, static (w, i) =>
                {
                    w.WriteNodeId(i.NodeId);
                    w.WriteUInt32(i.AttributeId);
                    w.WriteString(null);
                    w.WriteQualifiedName(default);
                    w.WriteInt32(2); // Reporting
                    w.WriteUInt32(i.ClientHandle);
                    w.WriteDouble(i.SamplingInterval);
                    if (i.Filter is { } f)
                    {
                        w.WriteExtensionObject(new NodeId(KnownStructures.DataChangeFilterEncoding), f, static (w, f) =>
                        {
                            w.WriteInt32(f.Trigger);
                            w.WriteUInt32(f.DeadbandType);
                            w.WriteDouble(f.DeadbandValue);
                        });
                    }
                    else
                    {
                        w.WriteExtensionObject(null);
                    }
                    w.WriteUInt32(i.QueueSize);
                    w.WriteBoolean(true); // discard oldest
                });
            }, cancellationToken).ConfigureAwait(false);
        return DecodeMonitoredItems(response.Body);
    }

    internal static MonitoredItemResult[] DecodeMonitoredItems(ReadOnlySpan<byte> body)
    {
        var r = new UaBinaryReader(body);
        ReadHeader(ref r, "CreateMonitoredItems");
        return r.ReadArray(static (ref UaBinaryReader b) =>
        {
            var status = b.ReadUInt32();
            var id = b.ReadUInt32();
            var sampling = b.ReadDouble();
            var queue = b.ReadUInt32();
            b.ReadExtensionObject();
            return new MonitoredItemResult(status, id, sampling, queue);
        });
    }

    /// <summary>Deletes monitored items.</summary>
    public async Task<uint[]> DeleteMonitoredItemsAsync(uint subscriptionId, IReadOnlyList<uint> monitoredItemIds, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(DeleteMonitoredItemsRequestId, DeleteMonitoredItemsResponseId, (subscriptionId, monitoredItemIds),
            static (w, s) =>
            {
                w.WriteUInt32(s.subscriptionId);
                w.WriteUInt32Array(s.monitoredItemIds);
            }, cancellationToken).ConfigureAwait(false);
        return DecodeStatusResults(response.Body, "DeleteMonitoredItems");
    }

    /// <summary>Sends one Publish request with acknowledgements and waits for a notification message
    /// (or a keep-alive). <paramref name="timeout"/> must exceed the keep-alive period.</summary>
    public async Task<PublishResult> PublishAsync(IReadOnlyList<SubscriptionAcknowledgement> acknowledgements, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(PublishRequestId, PublishResponseId, acknowledgements,
            static (w, s) => w.WriteArray(s, static (w, a) =>
            {
                w.WriteUInt32(a.SubscriptionId);
                w.WriteUInt32(a.SequenceNumber);
            }), cancellationToken, timeout).ConfigureAwait(false);
        return DecodePublish(response.Body);
    }

    internal static PublishResult DecodePublish(ReadOnlySpan<byte> body)
    {
        var r = new UaBinaryReader(body);
        ReadHeader(ref r, "Publish");
        var subscriptionId = r.ReadUInt32();
        var available = r.ReadUInt32Array();
        var more = r.ReadBoolean();
        var message = ReadNotificationMessage(ref r);
        var results = r.ReadUInt32Array();
        r.SkipDiagnosticInfos();
        return new PublishResult(subscriptionId, available, more, message, results);
    }

    private static NotificationMessage ReadNotificationMessage(ref UaBinaryReader r)
    {
        var sequence = r.ReadUInt32();
        var time = r.ReadDateTime();
        var data = r.ReadArray(static (ref UaBinaryReader x) => x.ReadExtensionObject());
        return new NotificationMessage(sequence, time, data);
    }

    /// <summary>Asks the server to send a notification message again (after a lost response).</summary>
    public async Task<NotificationMessage> RepublishAsync(uint subscriptionId, uint sequenceNumber, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(RepublishRequestId, RepublishResponseId, (subscriptionId, sequenceNumber),
            static (w, s) =>
            {
                w.WriteUInt32(s.subscriptionId);
                w.WriteUInt32(s.sequenceNumber);
            }, cancellationToken).ConfigureAwait(false);
        var r = new UaBinaryReader(response.Body);
        ReadHeader(ref r, "Republish");
        return ReadNotificationMessage(ref r);
    }

    /// <summary>Moves subscriptions of an old session to this session.</summary>
    public async Task<TransferResult[]> TransferSubscriptionsAsync(IReadOnlyList<uint> subscriptionIds, bool sendInitialValues, CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(TransferSubscriptionsRequestId, TransferSubscriptionsResponseId, (subscriptionIds, sendInitialValues),
            static (w, s) =>
            {
                w.WriteUInt32Array(s.subscriptionIds);
                w.WriteBoolean(s.sendInitialValues);
            }, cancellationToken).ConfigureAwait(false);
        return DecodeTransfer(response.Body);
    }

    internal static TransferResult[] DecodeTransfer(ReadOnlySpan<byte> body)
    {
        var r = new UaBinaryReader(body);
        ReadHeader(ref r, "TransferSubscriptions");
        var results = r.ReadArray(static (ref UaBinaryReader b) => new TransferResult(b.ReadUInt32(), b.ReadUInt32Array()));
        r.SkipDiagnosticInfos();
        return results;
    }
}
