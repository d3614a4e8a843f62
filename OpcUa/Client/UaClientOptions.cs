using Imv.Gateways.OpcUa.Transport;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>How a <see cref="UaClient"/> connects to one server.</summary>
public sealed record UaClientOptions
{
    /// <summary>The opc.tcp:// URL of the endpoint.</summary>
    public required string EndpointUrl { get; init; }

    /// <summary>The security policy of the channel when <see cref="Security"/> is null (None).</summary>
    public IUaSecurityPolicy SecurityPolicy { get; init; } = SecurityPolicyNone.Instance;

    /// <summary>Basic256Sha256 with Sign or SignAndEncrypt, certificates and trust; null for
    /// <see cref="SecurityPolicy"/> (None). The client then asks the endpoint for its certificate over a
    /// None channel (GetEndpoints), checks that it is trusted, and opens the secured channel.</summary>
    public UaSecurityOptions? Security { get; init; }

    /// <summary>The user name; null for an anonymous session.</summary>
    public string? UserName { get; init; }

    /// <summary>The password of <see cref="UserName"/>.</summary>
    public string? Password { get; init; }

    /// <summary>The session's name as the server shows it.</summary>
    public string SessionName { get; init; } = "Imv OPC UA gateway";

    /// <summary>The client's application URI; with <see cref="Security"/> it must be the URI in the client
    /// certificate's subjectAltName (a created certificate gets it).</summary>
    public string ApplicationUri { get; init; } = "urn:imv:opcua-gateway";

    /// <summary>How long the server keeps the session without requests.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a request may take before it fails with BadTimeout.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long connecting (TCP, Hello, OpenSecureChannel) may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The requested lifetime of a security token; the channel renews at 75% of it.</summary>
    public TimeSpan ChannelLifetime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The transport limits this client offers in Hello.</summary>
    public UaTransportLimits TransportLimits { get; init; } = UaTransportLimits.Default;
}
