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
    public TaskCompletionSource<MqttPublishResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
