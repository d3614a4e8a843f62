namespace Imv.Gateways.Mqtt;

/// <summary>Counters of one client, safe to read from any thread.</summary>
public sealed class MqttClientStatistics
{
    internal long received;
    internal long dropped;
    internal long published;
    internal long decodeErrors;
    internal long reconnects;
    internal long resent;
    internal long refusedLogins;

    /// <summary>Messages delivered to the receive buffer.</summary>
    public long MessagesReceived => Interlocked.Read(ref received);
    /// <summary>QoS 0 messages dropped because the receive buffer was full.</summary>
    public long MessagesDropped => Interlocked.Read(ref dropped);
    /// <summary>Publications written to the socket.</summary>
    public long MessagesPublished => Interlocked.Read(ref published);
    /// <summary>Malformed packets received (each closed the connection).</summary>
    public long DecodeErrors => Interlocked.Read(ref decodeErrors);
    /// <summary>Successful reconnects after a lost connection.</summary>
    public long Reconnects => Interlocked.Read(ref reconnects);
    /// <summary>Unacknowledged QoS 1/2 publications sent again after a reconnect.</summary>
    public long Resent => Interlocked.Read(ref resent);
    /// <summary>CONNECTs the broker refused for their credentials (MQTT 5: 0x86 bad user name or password, 0x87
    /// not authorized, 0x8C bad authentication method; MQTT 3.1.1: 4 and 5).</summary>
    public long RefusedLogins => Interlocked.Read(ref refusedLogins);
}
