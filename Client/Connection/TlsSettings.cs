using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace Imv.Client.Connection;

/// <summary>Mutual TLS on Orleans' connections: between silos and between SDK clients and a silo's gateway port. The
/// section <c>Silo:Tls</c> on a silo (whose certificate also serves the HTTPS API), <c>Client:Tls</c> on a client. Off
/// when no certificate is configured. With it on, every connection presents a certificate and accepts only a peer
/// whose certificate chains to <see cref="TrustedCaPath"/> (or, without it, to the machine's trusted roots); host
/// names are not compared, since silos reach each other by IP address.</summary>
public sealed class TlsSettings
{
    /// <summary>This side's certificate with its private key: a PKCS#12 file (.pfx, .p12), or a PEM certificate with
    /// the key in <see cref="KeyPath"/>. It needs the server and client authentication usages (silos are both).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PKCS#12 file's password; empty for none.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>The PEM private key of a PEM <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>PEM certificates of the authorities peers' certificates must chain to (the cluster's own CA);
    /// empty for the machine's trusted roots.</summary>
    public string? TrustedCaPath { get; set; }

    /// <summary>True when a certificate is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(CertificatePath);

    /// <summary>Every problem of these settings under <paramref name="section"/> (files missing or unreadable, a
    /// certificate without its private key), each naming its key; empty when valid or off.</summary>
    public IReadOnlyList<string> Validate(string section)
    {
        var problems = new List<string>();
        if (!Enabled)
        {
            foreach (var (key, value) in new[] { (nameof(KeyPath), KeyPath), (nameof(TrustedCaPath), TrustedCaPath) })
                if (!string.IsNullOrWhiteSpace(value)) problems.Add($"{section}:{key} = '{value}': set only with {section}:{nameof(CertificatePath)}");
            return problems;
        }
        try
        {
            using var certificate = LoadCertificate();
            if (!certificate.HasPrivateKey) problems.Add($"{section}:{nameof(CertificatePath)} = '{CertificatePath}': the certificate has no private key");
        }
        catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
        {
            problems.Add($"{section}:{nameof(CertificatePath)} = '{CertificatePath}': cannot be loaded ({e.Message})");
        }
        if (!string.IsNullOrWhiteSpace(TrustedCaPath))
        {
            try
            {
                if (LoadTrustedRoots().Count == 0) problems.Add($"{section}:{nameof(TrustedCaPath)} = '{TrustedCaPath}': holds no PEM certificate");
            }
            catch (Exception e) when (e is IOException or CryptographicException or UnauthorizedAccessException)
            {
                problems.Add($"{section}:{nameof(TrustedCaPath)} = '{TrustedCaPath}': cannot be loaded ({e.Message})");
            }
        }
        return problems;
    }

    /// <summary>Loads this side's certificate with its key.</summary>
    public X509Certificate2 LoadCertificate()
    {
        var path = CertificatePath ?? throw new InvalidOperationException("No certificate is configured.");
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is ".pem" or ".crt" or ".cer")
            return string.IsNullOrWhiteSpace(KeyPath) ? X509Certificate2.CreateFromPemFile(path) : X509Certificate2.CreateFromPemFile(path, KeyPath);
        return X509CertificateLoader.LoadPkcs12FromFile(path, string.IsNullOrEmpty(CertificatePassword) ? null : CertificatePassword);
    }

    /// <summary>Applies these settings to Orleans' TLS options: this side's certificate, a certificate required from
    /// every peer, and the chain check.</summary>
    public void Apply(TlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = CreateValidator();
    }

    /// <summary>Accepts a peer certificate that chains to the trusted authorities (a name mismatch is ignored: peers
    /// are addressed by IP).</summary>
    public RemoteCertificateValidator CreateValidator()
    {
        if (string.IsNullOrWhiteSpace(TrustedCaPath))
            return static (_, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None;
        var roots = LoadTrustedRoots();
        return (certificate, _, errors) =>
        {
            if ((errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0) return false;
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        };
    }

    private X509Certificate2Collection LoadTrustedRoots()
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(TrustedCaPath!);
        return roots;
    }
}
