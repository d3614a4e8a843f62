namespace Imv.Gateways.Mqtt;

/// <summary>A QoS 1/2 publication held in the session until the broker acknowledges it.</summary>
internal sealed class MqttOutgoingPublish
{
    public MqttOutgoingPublish(MqttApplicationMessage message, ushort packetId, long order)
    {
        Message = message;
        PacketId = packetId;
        Order = order;
    }

    public MqttApplicationMessage Message { get; }
    public ushort PacketId { get; }
    /// <summary>Resend order after a reconnect (publication order).</summary>
    public long Order { get; }
    /// <summary>QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP.</summary>
    public bool Released { get; set; }
    /// <summary>The transport it was last written to; a reconnect resends what was not written to the new one.</summary>
    public MqttTransport? SentOn { get; set; }

    private int _state; // 0 never written, 1 written at least once, 2 withdrawn before any write

    /// <summary>Marks it written; false when it was withdrawn and must not go out.</summary>
    public bool MarkWritten() => Interlocked.CompareExchange(ref _state, 1, 0) != 2;

    /// <summary>Withdraws it if it never reached a socket; false when it may already be at the broker.</summary>
    public bool TryWithdraw() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;
    public TaskCompletionSource<MqttPublishResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
