using Imv.Gateways.OpcUa.Transport;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>How a <see cref="UaClient"/> secures its channel with Basic256Sha256: the mode, where its
/// application instance certificate comes from, and which server certificates it trusts.</summary>
public sealed record UaSecurityOptions
{
    /// <summary>Sign or SignAndEncrypt.</summary>
    public MessageSecurityMode Mode { get; init; } = MessageSecurityMode.SignAndEncrypt;

    /// <summary>The security policy URI; only Basic256Sha256 is implemented.</summary>
    public string PolicyUri { get; init; } = SecurityPolicyBasic256Sha256.PolicyUri;

    /// <summary>The PKI folder: <c>own/</c> keeps the created client certificate (so restarts reuse it),
    /// <c>trusted/</c> holds trusted server certificates (.der, .cer, .crt or .pem), <c>rejected/</c>
    /// receives server certificates that were refused.</summary>
    public string PkiPath { get; init; } = "pki";

    /// <summary>A PKCS#12 (PFX) file with the client certificate and its RSA private key; null to create
    /// (once) a self-signed certificate in <see cref="PkiPath"/>.</summary>
    public string? ClientCertificatePath { get; init; }

    /// <summary>The password of <see cref="ClientCertificatePath"/>.</summary>
    public string? ClientCertificatePassword { get; init; }

    /// <summary>SHA-1 thumbprints (hex) of server certificates trusted without a file in <c>trusted/</c>.</summary>
    public IReadOnlyList<string> TrustedServerCertificateThumbprints { get; init; } = [];

    /// <summary>Trust any server certificate (for tests and commissioning only; default false).</summary>
    public bool AutoAcceptUntrustedServerCertificate { get; init; }
}
