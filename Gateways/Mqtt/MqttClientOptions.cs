namespace Imv.Gateways.Mqtt;

/// <summary>Settings of an <see cref="MqttClient"/>.</summary>
public sealed class MqttClientOptions
{
    /// <summary>Broker host name or address.</summary>
    public string Host { get; set; } = "127.0.0.1";
    /// <summary>Broker TCP port.</summary>
    public int Port { get; set; } = 1883;
    /// <summary>Protocol version.</summary>
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;
    /// <summary>Client identifier; must be unique per broker. Empty lets an MQTT 5 broker assign one.</summary>
    public string ClientId { get; set; } = "";
    /// <summary>Start a new session (true) or resume the stored one (false).</summary>
    public bool CleanStart { get; set; } = true;
    /// <summary>MQTT 5: how long the broker keeps the session after the connection closes (seconds).
    /// 0 ends the session with the connection; with CleanStart=false use a non-zero value to resume.</summary>
    public uint SessionExpiryInterval { get; set; }
    /// <summary>Keep-alive interval; a PINGREQ goes out when nothing else was sent for this long.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>User name, or null.</summary>
    public string? Username { get; set; }
    /// <summary>Password, or null.</summary>
    public string? Password { get; set; }
    /// <summary>Last will, published by the broker when the connection is lost without DISCONNECT.</summary>
    public MqttApplicationMessage? Will { get; set; }
    /// <summary>TLS settings; null or disabled for plain TCP.</summary>
    public MqttTlsOptions? Tls { get; set; }
    /// <summary>Largest number of QoS 1/2 publications awaiting acknowledgement; further publishers wait.
    /// The broker's Receive Maximum lowers it.</summary>
    public int MaxInFlight { get; set; } = 256;
    /// <summary>Received messages buffered for the consumer. When full, QoS 0 messages are dropped (counted,
    /// logged) and QoS 1/2 stop the reading of the socket (the broker holds them).</summary>
    public int ReceiveBufferCapacity { get; set; } = 10_000;
    /// <summary>Largest packet accepted from the broker (bytes); MQTT 5 tells the broker.</summary>
    public int MaximumPacketSize { get; set; } = 1024 * 1024;
    /// <summary>MQTT 5: how many topic aliases the broker may use towards us.</summary>
    public ushort TopicAliasMaximum { get; set; } = 1000;
    /// <summary>MQTT 5: use topic aliases on our publications when the broker allows them.</summary>
    public bool UseTopicAliases { get; set; } = true;
    /// <summary>Time allowed to open the socket, finish TLS and receive CONNACK.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Reconnect after a lost connection.</summary>
    public bool AutoReconnect { get; set; } = true;
    /// <summary>First reconnect delay; doubles per failed attempt, with jitter.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Upper bound of the reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>QoS 1 and 2 messages are acknowledged (PUBACK, PUBREC) only when the consumer calls
    /// <see cref="MqttClient.AcknowledgeAsync"/> for them, in the order they arrived, so the broker keeps a message
    /// until the consumer has done what it must (stored it) and redelivers it after a crash. Off (the default),
    /// a message is acknowledged once it is in the receive buffer.</summary>
    public bool ManualAcknowledgement { get; set; }
    /// <summary>Called after every successful (re)connect, once subscriptions are restored and before
    /// waiting publishers continue; the argument says whether the broker resumed the session.</summary>
    public Func<bool, CancellationToken, Task>? OnConnectedAsync { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Host)) throw new ArgumentException("Host must be set.", nameof(Host));
        if (Port is < 1 or > 65535) throw new ArgumentException($"Port {Port} is not in 1..65535.", nameof(Port));
        if (KeepAlive < TimeSpan.Zero || KeepAlive.TotalSeconds > ushort.MaxValue) throw new ArgumentException($"KeepAlive {KeepAlive} is not in 0..65535 s.", nameof(KeepAlive));
        if (MaxInFlight is < 1 or > 65535) throw new ArgumentException($"MaxInFlight {MaxInFlight} is not in 1..65535.", nameof(MaxInFlight));
        if (ReceiveBufferCapacity < 1) throw new ArgumentException($"ReceiveBufferCapacity {ReceiveBufferCapacity} must be positive.", nameof(ReceiveBufferCapacity));
        if (MaximumPacketSize < 128) throw new ArgumentException($"MaximumPacketSize {MaximumPacketSize} must be at least 128.", nameof(MaximumPacketSize));
        if (ProtocolVersion == MqttProtocolVersion.V311 && ClientId.Length == 0 && !CleanStart)
            throw new ArgumentException("MQTT 3.1.1 needs a ClientId to resume a session (CleanStart=false).", nameof(ClientId));
        if (ReconnectMinDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay)
            throw new ArgumentException($"Reconnect delays {ReconnectMinDelay}..{ReconnectMaxDelay} are not a valid range.", nameof(ReconnectMinDelay));
    }
}
