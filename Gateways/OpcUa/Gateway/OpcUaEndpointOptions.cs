namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>One OPC UA server the gateway connects to, bound from <c>Gateways:OpcUa:{index}</c>.
/// See docs/opcua.md for every key with an example.</summary>
public sealed class OpcUaEndpointOptions
{
    /// <summary>The connection's name; twins know their gateway by it, and it is the
    /// <c>{endpoint}</c> of twin id templates.</summary>
    public string Name { get; set; } = "";

    /// <summary>The opc.tcp:// URL of the server endpoint.</summary>
    public string EndpointUrl { get; set; } = "";

    /// <summary>None (default), Sign or SignAndEncrypt. Sign and SignAndEncrypt need
    /// <see cref="SecurityPolicy"/> Basic256Sha256; None needs SecurityPolicy None.</summary>
    public string SecurityMode { get; set; } = "None";

    /// <summary>None (default) or Basic256Sha256 (with Sign or SignAndEncrypt).</summary>
    public string SecurityPolicy { get; set; } = "None";

    /// <summary>The gateway's application URI, sent in CreateSession and written into the subjectAltName
    /// of the certificate it creates (default <c>urn:imv:opcua-gateway</c>). A certificate loaded from
    /// <see cref="ClientCertificatePath"/> must carry the same URI.</summary>
    public string ApplicationUri { get; set; } = "urn:imv:opcua-gateway";

    /// <summary>The PKI folder of a secured endpoint (default <c>pki</c>, relative to the working
    /// directory): <c>own/client.pfx</c> is the created client certificate, reused on restart;
    /// <c>trusted/</c> holds trusted server certificates (DER or PEM); refused ones are copied to
    /// <c>rejected/</c>.</summary>
    public string PkiPath { get; set; } = "pki";

    /// <summary>A PKCS#12 (PFX) file with the client certificate and its RSA private key (2048 to 4096
    /// bits); empty to create a self-signed one under <see cref="PkiPath"/>.</summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>The password of <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientCertificatePassword { get; set; }

    /// <summary>SHA-1 thumbprints (hex) of server certificates to trust without a file in
    /// <c>{PkiPath}/trusted</c>.</summary>
    public List<string> TrustedServerCertificateThumbprints { get; set; } = [];

    /// <summary>Trust any server certificate (default false; for tests and commissioning only).</summary>
    public bool AutoAcceptUntrustedServerCertificate { get; set; }

    /// <summary>User name; empty for an anonymous session.</summary>
    public string? UserName { get; set; }

    /// <summary>Password of <see cref="UserName"/>.</summary>
    public string? Password { get; set; }

    /// <summary>How often the server samples each monitored node, in ms (default 250).</summary>
    public double SamplingIntervalMs { get; set; } = 250;

    /// <summary>How often the server sends notifications, in ms (default 250).</summary>
    public double PublishingIntervalMs { get; set; } = 250;

    /// <summary>Values the server queues per monitored item between publishes (default 10).</summary>
    public uint QueueSize { get; set; } = 10;

    /// <summary>Publishing intervals without data after which the server sends a keep-alive (default 10).</summary>
    public uint KeepAliveCount { get; set; } = 10;

    /// <summary>Publish requests kept outstanding so notifications flow without a round trip gap (default 3).</summary>
    public int PublishRequests { get; set; } = 3;

    /// <summary>Most notifications the server may put in one Publish response (default 1000; 0 = no
    /// limit). The rest follow in the next responses at once (MoreNotifications). Smaller responses keep
    /// a single-threaded server from encoding one huge message while a write waits behind it: with
    /// 1,000 items changing every 10 ms on the node-opcua PLC, 1000 took the p99 of writes under load
    /// from about 19 ms to about 12 ms at the same notification rate (docs/opcua.md).</summary>
    public int MaxNotificationsPerPublish { get; set; } = 1000;

    /// <summary>Default absolute deadband for numeric tags; null for none.</summary>
    public double? DeadbandAbsolute { get; set; }

    /// <summary>Default percent deadband (of the EURange) for analog tags; null for none.</summary>
    public double? DeadbandPercent { get; set; }

    /// <summary>How long one request may take, in ms (default 10000).</summary>
    public int RequestTimeoutMs { get; set; } = 10000;

    /// <summary>First reconnect delay, in ms; it doubles up to <see cref="ReconnectMaxDelayMs"/> (default 500).</summary>
    public int ReconnectMinDelayMs { get; set; } = 500;

    /// <summary>Longest reconnect delay, in ms (default 30000).</summary>
    public int ReconnectMaxDelayMs { get; set; } = 30000;

    /// <summary>First delay after the server refused the login or the channel's security (BadUserAccessDenied,
    /// BadIdentityTokenRejected, BadSecurityChecksFailed, BadSecurityModeRejected ...), in ms; it doubles per
    /// refusal up to <see cref="LoginRetryMaxDelayMs"/>, so a PLC that locks accounts after failures is not
    /// hammered (default 5000).</summary>
    public int LoginRetryMinDelayMs { get; set; } = 5000;

    /// <summary>Longest delay between refused logins, in ms (default 300000, five minutes).</summary>
    public int LoginRetryMaxDelayMs { get; set; } = 300000;

    /// <summary>After this long without a connection, twins turn Offline (Bad) instead of Reconnecting
    /// (Uncertain), in ms (default 30000). A refused login, or an endpoint never reached since the start,
    /// turns them Offline at once.</summary>
    public int OfflineAfterMs { get; set; } = 30000;

    /// <summary>The namespace index of browse path elements written without one (default 1).</summary>
    public ushort BrowseNamespaceIndex { get; set; } = 1;

    /// <summary>The namespace URI of browse path elements written without a namespace; when set it
    /// takes the place of <see cref="BrowseNamespaceIndex"/>, looked up in the server's NamespaceArray.</summary>
    public string? BrowseNamespaceUri { get; set; }

    /// <summary>Explicit mappings: one node (by node id or browse path) to one twin tag or method.</summary>
    public List<OpcUaNodeMapping> Nodes { get; set; } = [];

    /// <summary>Discovery: browse subtrees, each object a twin and its variables its tags.</summary>
    public List<OpcUaDiscoveryOptions> Discovery { get; set; } = [];

    /// <summary>Which tags give the run state and OEE counts of this gateway's twins (each twin may override it under
    /// <see cref="Twins"/>); null: none, the twins show state Unknown unless configured otherwise.</summary>
    public Imv.Gateways.Twins.TwinStatusOptions? Status { get; set; }

    /// <summary>The staleness bound of this gateway's tags in milliseconds: a tag not received for longer reads Uncertain
    /// (stale). 0: never stale. Default: 0, never: a subscription delivers a value only when it changes, and the endpoint's connectivity
    /// (Reconnecting, Offline) already says when the values stop being current.</summary>
    public int? StaleAfterMs { get; set; }

    /// <summary>The organization this gateway's twins report their status to (for organization aggregates and OEE);
    /// null: none (a twin keeps the one it was configured with).</summary>
    public string? Organization { get; set; }

    /// <summary>Alarm bands of this gateway's numeric tags (each twin may override them under <see cref="Twins"/>).</summary>
    public List<Imv.Gateways.Twins.AlarmBandOptions> Alarms { get; set; } = [];

    /// <summary>Per twin (by twin id): a status mapping, staleness bound, organization or alarm bands replacing the gateway's.</summary>
    public Dictionary<string, Imv.Gateways.Twins.TwinMappingOptions> Twins { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The twin mapping these settings give.</summary>
    internal Imv.Gateways.Twins.TwinMapping TwinMapping() => new(Status, StaleAfterMs ?? 0, Organization, Twins, Alarms);
}
