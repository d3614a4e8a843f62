using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>The client's application instance certificate and its trust list of server certificates,
/// kept in a PKI folder (see <see cref="UaSecurityOptions.PkiPath"/>).</summary>
public static class UaCertificateStore
{
    /// <summary>The file name of the created client certificate under <c>own/</c>.</summary>
    public const string OwnCertificateFile = "client.pfx";

    /// <summary>Loads the client certificate from <see cref="UaSecurityOptions.ClientCertificatePath"/>, or
    /// from <c>{PkiPath}/own/client.pfx</c>, or creates a self-signed one there (RSA 2048, SHA-256, valid
    /// for 5 years, subjectAltName URI = <paramref name="applicationUri"/> and the host name).
    /// Throws <see cref="UaServiceException"/> (BadConfigurationError) naming the file when it cannot.</summary>
    public static X509Certificate2 LoadOrCreateClientCertificate(UaSecurityOptions options, string applicationUri)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(applicationUri);
        if (options.ClientCertificatePath is { } path)
            return LoadPfx(path, options.ClientCertificatePassword, applicationUri);
        var own = Path.Combine(options.PkiPath, "own", OwnCertificateFile);
        lock (CreateLock)
        {
            if (File.Exists(own)) return LoadPfx(own, null, applicationUri);
            return CreateInto(own, applicationUri);
        }
    }

    // Two clients of one process sharing a PKI folder must not each create a certificate.
    private static readonly Lock CreateLock = new();

    private static X509Certificate2 CreateInto(string own, string applicationUri)
    {
        var created = CreateSelfSigned(applicationUri);
        Directory.CreateDirectory(Path.GetDirectoryName(own)!);
        var temp = own + ".tmp";
        File.WriteAllBytes(temp, created.Export(X509ContentType.Pkcs12));
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, own, overwrite: true);
        return created;
    }

    private static X509Certificate2 LoadPfx(string path, string? password, string applicationUri)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.Exportable);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new UaServiceException(StatusCode.BadConfigurationError, $"Client certificate '{path}' cannot be loaded ({ex.Message})", ex);
        }
        using var key = certificate.GetRSAPrivateKey();
        if (key is null)
        {
            certificate.Dispose();
            throw new UaServiceException(StatusCode.BadConfigurationError, $"Client certificate '{path}' has no RSA private key");
        }
        if (key.KeySize is < 2048 or > 4096)
        {
            certificate.Dispose();
            throw new UaServiceException(StatusCode.BadConfigurationError, $"Client certificate '{path}' has a {key.KeySize}-bit key; Basic256Sha256 needs 2048 to 4096 bits");
        }
        var uri = ApplicationUriOf(certificate);
        if (uri is not null && !string.Equals(uri, applicationUri, StringComparison.Ordinal))
        {
            var subject = certificate.Subject;
            certificate.Dispose();
            throw new UaServiceException(StatusCode.BadConfigurationError, $"Client certificate '{path}' ({subject}) is for application URI '{uri}', not '{applicationUri}'");
        }
        return certificate;
    }

    /// <summary>Creates a self-signed application instance certificate for <paramref name="applicationUri"/>
    /// with the key usages OPC 10000-6 §6.2.2 asks for, with an RSA key of <paramref name="keySize"/>
    /// bits (2048 to 4096 for Basic256Sha256).</summary>
    public static X509Certificate2 CreateSelfSigned(string applicationUri, string? commonName = null, int keySize = 2048)
    {
        ArgumentNullException.ThrowIfNull(applicationUri);
        using var rsa = RSA.Create(keySize);
        var host = Dns.GetHostName();
        var subject = new X500DistinguishedName($"CN={commonName ?? "Imv OPC UA gateway"}, DC={host}");
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation | X509KeyUsageFlags.KeyEncipherment
            | X509KeyUsageFlags.DataEncipherment | X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // serverAuth, clientAuth
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(applicationUri));
        san.AddDnsName(host);
        request.CertificateExtensions.Add(san.Build());
        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(ski);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));
        // Round trip through PKCS#12 so the key is usable on every platform.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>The application URI in a certificate's subjectAltName, if any.</summary>
    public static string? ApplicationUriOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        foreach (var extension in certificate.Extensions)
        {
            if (extension is not X509SubjectAlternativeNameExtension san) continue;
            try
            {
                var reader = new System.Formats.Asn1.AsnReader(san.RawData, System.Formats.Asn1.AsnEncodingRules.DER);
                var names = reader.ReadSequence();
                while (names.HasData)
                {
                    var tag = names.PeekTag();
                    if (tag.TagClass == System.Formats.Asn1.TagClass.ContextSpecific && tag.TagValue == 6)
                        return names.ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6));
                    names.ReadEncodedValue();
                }
            }
            catch (System.Formats.Asn1.AsnContentException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>Checks that a server certificate is trusted: a file in <c>{PkiPath}/trusted/</c> with the
    /// same certificate, a thumbprint in <see cref="UaSecurityOptions.TrustedServerCertificateThumbprints"/>,
    /// or <see cref="UaSecurityOptions.AutoAcceptUntrustedServerCertificate"/>. A refused certificate is
    /// copied to <c>{PkiPath}/rejected/</c> and fails with BadCertificateUntrusted naming its subject and
    /// thumbprint; an expired one fails with BadCertificateInvalid.</summary>
    public static void CheckServerCertificate(UaSecurityOptions options, byte[] serverCertificate, string endpointUrl)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(serverCertificate);
        if (serverCertificate.Length == 0)
            throw new UaServiceException(StatusCode.BadCertificateInvalid, $"{endpointUrl} sent no server certificate for {options.PolicyUri}");
        var der = UaCertificates.FirstCertificate(serverCertificate);
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException ex)
        {
            throw new UaServiceException(StatusCode.BadCertificateInvalid, $"The server certificate of {endpointUrl} cannot be parsed", ex);
        }
        using (certificate)
        {
            var thumbprint = certificate.Thumbprint; // SHA-1, hex
            var now = DateTime.Now;
            if (now < certificate.NotBefore || now > certificate.NotAfter)
                throw new UaServiceException(StatusCode.BadCertificateInvalid,
                    $"Server certificate '{certificate.Subject}' (thumbprint {thumbprint}) of {endpointUrl} is valid from {certificate.NotBefore:u} to {certificate.NotAfter:u} only");
            if (options.AutoAcceptUntrustedServerCertificate) return;
            if (options.TrustedServerCertificateThumbprints.Any(t => string.Equals(Normalize(t), thumbprint, StringComparison.OrdinalIgnoreCase))) return;
            var trusted = Path.Combine(options.PkiPath, "trusted");
            if (Directory.Exists(trusted) && Directory.EnumerateFiles(trusted).Any(f => Matches(f, der))) return;
            try
            {
                var rejected = Path.Combine(options.PkiPath, "rejected");
                Directory.CreateDirectory(rejected);
                File.WriteAllBytes(Path.Combine(rejected, thumbprint + ".der"), der);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Keeping a copy is a convenience; the refusal below is what matters.
            }
            throw new UaServiceException(StatusCode.BadCertificateUntrusted,
                $"Server certificate '{certificate.Subject}' (thumbprint {thumbprint}) of {endpointUrl} is not trusted; copy it into {trusted} "
                + "(a copy is in the rejected folder), add its thumbprint to TrustedServerCertificateThumbprints, or set AutoAcceptUntrustedServerCertificate");
        }
    }

    private static string Normalize(string thumbprint) => thumbprint.Replace(":", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);

    private static bool Matches(string file, byte[] der)
    {
        try
        {
            var info = new FileInfo(file);
            if (info.Length > 1024 * 1024) return false;
            using var candidate = X509CertificateLoader.LoadCertificateFromFile(file);
            return candidate.RawData.AsSpan().SequenceEqual(der);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
