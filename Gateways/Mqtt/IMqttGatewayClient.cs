using System.Threading.Channels;

namespace Imv.Gateways.Mqtt;

/// <summary>The MQTT client as the gateway uses it: one session with a broker kept across reconnects, received
/// messages in a bounded buffer, publications, subscriptions restored after a reconnect, and acknowledgements held
/// until the consumer stored the message. <see cref="MqttNetClient"/> (MQTTnet) and <see cref="MqttClient"/> (our
/// own protocol code) implement it, so the two can be measured side by side in one run.</summary>
internal interface IMqttGatewayClient : IAsyncDisposable
{
    /// <summary>The options the client was created with.</summary>
    MqttClientOptions Options { get; }

    /// <summary>Counters: received, dropped, published, reconnects, refused logins.</summary>
    MqttClientStatistics Statistics { get; }

    /// <summary>Messages received from the broker, in arrival order, bounded by
    /// <see cref="MqttClientOptions.ReceiveBufferCapacity"/>; completed when the client is closed.</summary>
    ChannelReader<MqttReceivedMessage> Messages { get; }

    /// <summary>The connection state.</summary>
    MqttConnectionState State { get; }

    /// <summary>The client id the broker assigned (MQTT 5, empty ClientId), else the configured one.</summary>
    string ClientId { get; }

    /// <summary>QoS 1/2 publications awaiting the broker's acknowledgement.</summary>
    int InFlightCount { get; }

    /// <summary>Raised on connect, loss and disconnect (keep handlers short).</summary>
    event EventHandler<MqttConnectionStateChangedEventArgs>? ConnectionStateChanged;

    /// <summary>Acknowledgements held back or being written: zero once every released one was handed to the connection.</summary>
    int HeldAcknowledgements { get; }

    /// <summary>Connects for the first time (throws when the broker refuses or cannot be reached); afterwards the
    /// client reconnects by itself.</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Publishes; QoS 1/2 complete with the broker's acknowledgement and survive reconnects.</summary>
    ValueTask<MqttPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken);

    /// <summary>Subscribes (remembered and restored after a reconnect to a broker that lost the session).</summary>
    Task<IReadOnlyList<MqttQualityOfService>> SubscribeAsync(IReadOnlyList<MqttSubscription> subscriptions, CancellationToken cancellationToken);

    /// <summary>Subscribes to one filter.</summary>
    Task<IReadOnlyList<MqttQualityOfService>> SubscribeAsync(string filter, MqttQualityOfService qos, CancellationToken cancellationToken);

    /// <summary>Unsubscribes.</summary>
    Task UnsubscribeAsync(IReadOnlyList<string> filters, CancellationToken cancellationToken);

    /// <summary>With manual acknowledgement: the consumer stored <paramref name="message"/>; its acknowledgement goes
    /// out once every QoS 1/2 message received before it on the same connection is released too. Acknowledgements
    /// of a connection since lost are dropped, so the broker delivers those messages again.</summary>
    ValueTask AcknowledgeAsync(MqttReceivedMessage message);

    /// <summary>Sends DISCONNECT and closes (no reconnect afterwards).</summary>
    Task DisconnectAsync(bool publishWill = false, CancellationToken cancellationToken = default);

    /// <summary>Breaks the current connection as a network failure would (no DISCONNECT); the client reconnects.</summary>
    void BreakConnection();

    /// <summary>Drops the connection without DISCONNECT (as a crashed device would), so the broker publishes the last
    /// will; the client does not reconnect.</summary>
    Task AbortAsync();
}
