using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.Mqtt;

/// <summary>What <see cref="MqttTlsOptions"/> mean for a TLS handshake, whichever client makes it: the client
/// certificate to present and how the broker's certificate is judged.</summary>
internal static class MqttTlsSetup
{
    /// <summary>The client certificate of mutual TLS (PFX, or PEM with its key), or null.</summary>
    public static X509Certificate2? LoadClientCertificate(MqttTlsOptions tls)
    {
        if (tls.ClientCertificatePath is not { } certPath) return null;
        return tls.ClientKeyPath is { } keyPath
            ? X509Certificate2.CreateFromPemFile(certPath, keyPath)
            : X509CertificateLoader.LoadPkcs12FromFile(certPath, tls.ClientCertificatePassword);
    }

    /// <summary>The check of the broker's certificate: null for the system's own (trusted roots, name);
    /// otherwise a function of the certificate and the policy errors the system found.</summary>
    public static Func<X509Certificate?, SslPolicyErrors, bool>? CreateValidator(MqttClientOptions options, MqttTlsOptions tls, ILogger logger)
    {
        if (tls.AllowUntrustedCertificates)
        {
            logger.LogWarning("TLS to {Host}:{Port} accepts any broker certificate (AllowUntrustedCertificates)", options.Host, options.Port);
            return static (_, _) => true;
        }
        if (tls.CaCertificatePath is not { } caPath) return null;
        var ca = X509CertificateLoader.LoadCertificateFromFile(caPath);
        return (certificate, errors) =>
        {
            if (certificate is null) return false;
            // Name mismatch or a missing certificate are never excused by a custom root.
            if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                logger.LogError("TLS to {Host}: broker certificate rejected: {Errors}", options.Host, errors);
                return false;
            }
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            var ok = chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            if (!ok)
            {
                logger.LogError("TLS to {Host}: broker certificate does not chain to {CaPath}: {Status}", options.Host, caPath,
                    string.Join(", ", chain.ChainStatus.Select(s => s.StatusInformation.Trim())));
            }
            return ok;
        };
    }
}
