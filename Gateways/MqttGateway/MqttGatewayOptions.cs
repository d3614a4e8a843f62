using Imv.Gateways.Mqtt;

namespace Imv.Gateways.MqttGateway;

/// <summary>One MQTT gateway connection, bound from <c>Gateways:Mqtt:N</c>.</summary>
public sealed class MqttGatewayOptions
{
    /// <summary>The configuration section holding the list of connections.</summary>
    public const string SectionName = "Gateways:Mqtt";

    /// <summary>Unique name of the connection; twins know their gateway by it.</summary>
    public string Name { get; set; } = "";
    /// <summary>Broker host.</summary>
    public string Host { get; set; } = "127.0.0.1";
    /// <summary>Broker port (1883 plain, 8883 TLS by convention).</summary>
    public int Port { get; set; } = 1883;
    /// <summary>"5.0" or "3.1.1".</summary>
    public string ProtocolVersion { get; set; } = "5.0";
    /// <summary>Client id; default imv-{Name}.</summary>
    public string? ClientId { get; set; }
    /// <summary>User name, or null.</summary>
    public string? Username { get; set; }
    /// <summary>Password, or null.</summary>
    public string? Password { get; set; }
    /// <summary>TLS settings.</summary>
    public MqttTlsOptions Tls { get; set; } = new();
    /// <summary>Keep-alive in seconds.</summary>
    public int KeepAliveSeconds { get; set; } = 30;
    /// <summary>Start a new session on every connect.</summary>
    public bool CleanStart { get; set; } = true;
    /// <summary>MQTT 5 session expiry in seconds (with CleanStart=false, keeps QoS 1 messages while the gateway is down).</summary>
    public uint SessionExpirySeconds { get; set; }
    /// <summary>The MQTT client under the gateway: Own (the project's own protocol code, the default: it met the
    /// performance targets MQTTnet missed when the two were measured side by side, see docs/mqtt.md) or MqttNet
    /// (MQTTnet 5.2).</summary>
    public MqttClientKind Client { get; set; } = MqttClientKind.Own;
    /// <summary>SparkplugB or Json.</summary>
    public MqttGatewayMode Mode { get; set; } = MqttGatewayMode.SparkplugB;
    /// <summary>Sparkplug B settings (Mode = SparkplugB).</summary>
    public SparkplugGatewayOptions Sparkplug { get; set; } = new();
    /// <summary>JSON settings (Mode = Json).</summary>
    public JsonGatewayOptions Json { get; set; } = new();
    /// <summary>Acknowledge QoS 1/2 messages to the broker only once their readings are stored by their twins
    /// (default true): a message the broker saw acknowledged survives a crash of the silo, and one that was not is
    /// delivered again when the gateway resumes its session (CleanStart=false). False acknowledges a message as
    /// soon as it is in the receive buffer (more throughput at QoS 1 with brokers that allow few messages in flight,
    /// such as mosquitto's default of 20 for MQTT 3.1.1; readings in the buffer are lost in a crash).</summary>
    public bool AcknowledgeAfterStored { get; set; } = true;
    /// <summary>Messages buffered between the socket and the twins.</summary>
    public int ReceiveBufferCapacity { get; set; } = 20_000;
    /// <summary>Unacknowledged QoS 1/2 publications (commands) at a time.</summary>
    public int MaxInFlight { get; set; } = 256;
    /// <summary>Most messages folded into one batch of twin updates.</summary>
    public int MaxBatchSize { get; set; } = 5_000;
    /// <summary>Above <see cref="BatchLingerAboveMessagesPerSecond"/>, wait this long (milliseconds) before taking a
    /// batch, so more messages share one sink call per twin. 0 disables.</summary>
    public int BatchLingerMs { get; set; } = 2;
    /// <summary>Message rate from which batches linger.</summary>
    public int BatchLingerAboveMessagesPerSecond { get; set; } = 20_000;
    /// <summary>Largest packet accepted from the broker (bytes).</summary>
    public int MaximumPacketSize { get; set; } = 1024 * 1024;
    /// <summary>First reconnect delay (milliseconds); doubles up to ReconnectMaxDelayMs, with jitter.</summary>
    public int ReconnectMinDelayMs { get; set; } = 100;
    /// <summary>Largest reconnect delay (milliseconds).</summary>
    public int ReconnectMaxDelayMs { get; set; } = 10_000;

    /// <summary>Which tags give the run state and OEE counts of this gateway's twins (each twin may override it under
    /// <see cref="Twins"/>); null: none, the twins show state Unknown unless configured otherwise.</summary>
    public Imv.Gateways.Twins.TwinStatusOptions? Status { get; set; }

    /// <summary>The staleness bound of this gateway's tags in milliseconds: a tag not received for longer reads Uncertain
    /// (stale). 0: never stale. Default: for Sparkplug B 0, never (metrics are reported by exception; NDEATH and
    /// DDEATH say when a node is gone); for JSON the twin's bound (60 s unless the twin says otherwise).</summary>
    public int? StaleAfterMs { get; set; }

    /// <summary>The organization this gateway's twins report their status to (for organization aggregates and OEE);
    /// null: none (a twin keeps the one it was configured with).</summary>
    public string? Organization { get; set; }

    /// <summary>Alarm bands of this gateway's numeric tags (each twin may override them under <see cref="Twins"/>).</summary>
    public List<Imv.Gateways.Twins.AlarmBandOptions> Alarms { get; set; } = [];

    /// <summary>Per twin (by twin id): a status mapping, staleness bound, organization or alarm bands replacing the gateway's.</summary>
    public Dictionary<string, Imv.Gateways.Twins.TwinMappingOptions> Twins { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The twin mapping these settings give.</summary>
    internal Imv.Gateways.Twins.TwinMapping TwinMapping() =>
        new(Status, StaleAfterMs ?? (Mode == MqttGatewayMode.SparkplugB ? 0 : null), Organization, Twins, Alarms);

    /// <summary>The parsed protocol version; call after validation.</summary>
    public MqttProtocolVersion ParsedProtocolVersion => ProtocolVersion.Trim() switch
    {
        "3.1.1" or "311" or "4" => MqttProtocolVersion.V311,
        _ => MqttProtocolVersion.V500,
    };
}
