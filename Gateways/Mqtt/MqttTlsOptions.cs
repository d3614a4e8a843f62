namespace Imv.Gateways.Mqtt;

/// <summary>TLS settings of a connection (SslStream).</summary>
public sealed class MqttTlsOptions
{
    /// <summary>Whether to use TLS.</summary>
    public bool Enabled { get; set; }
    /// <summary>Name expected in the broker's certificate; defaults to the host.</summary>
    public string? TargetHost { get; set; }
    /// <summary>PEM or DER file of the certificate authority to trust for the broker (instead of the system store).</summary>
    public string? CaCertificatePath { get; set; }
    /// <summary>PFX/PKCS#12 or PEM file with the client certificate (mutual TLS); null for none.</summary>
    public string? ClientCertificatePath { get; set; }
    /// <summary>PEM file with the client certificate's private key, when the certificate file is PEM.</summary>
    public string? ClientKeyPath { get; set; }
    /// <summary>Password of the PFX file.</summary>
    public string? ClientCertificatePassword { get; set; }
    /// <summary>Accept any broker certificate. For tests only; logs a warning.</summary>
    public bool AllowUntrustedCertificates { get; set; }
}
