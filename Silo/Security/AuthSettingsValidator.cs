using System.Security.Cryptography;
using Imv.Silo.Hosting;
using Microsoft.IdentityModel.Tokens;

namespace Imv.Silo.Security;

/// <summary>Checks the <c>Auth</c> section and the addresses the API listens on, every problem naming its key.</summary>
public static class AuthSettingsValidator
{
    /// <summary>Binds the section, collecting unknown keys, values of the wrong type and rule violations.</summary>
    public static AuthSettings Bind(IConfiguration configuration, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(problems);
        var settings = new AuthSettings();
        var section = configuration.GetSection(AuthSettings.SectionName);
        SectionBinder.Bind(section, settings, problems, "Jwt");
        SectionBinder.Bind(section.GetSection("Jwt"), settings.Jwt, problems);
        Validate(settings, problems);
        return settings;
    }

    /// <summary>Adds a line per rule <paramref name="settings"/> breaks.</summary>
    public static void Validate(AuthSettings settings, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(problems);
        var jwt = settings.Jwt;
        if (!settings.CreateAdminKey && !jwt.Enabled)
            problems.Add("Auth:CreateAdminKey = 'false' and no Auth:Jwt:Authority or Auth:Jwt:SigningKeyFile: authentication is on with no key and no issuer, so nobody could ever get in");
        if (!jwt.Enabled)
        {
            if (!string.IsNullOrWhiteSpace(jwt.Issuer) || !string.IsNullOrWhiteSpace(jwt.Audience))
                problems.Add("Auth:Jwt: an Issuer or Audience is set but no signing keys: set Auth:Jwt:Authority (OpenID Connect discovery) or Auth:Jwt:SigningKeyFile");
            return;
        }
        if (string.IsNullOrWhiteSpace(jwt.Audience))
            problems.Add("Auth:Jwt:Audience: required when JWTs are accepted (a token made for another service must not open this one)");
        if (string.IsNullOrWhiteSpace(jwt.AvatarClaim)) problems.Add("Auth:Jwt:AvatarClaim: must name a claim (default 'sub')");
        if (!string.IsNullOrWhiteSpace(jwt.Authority) && !Uri.TryCreate(jwt.Authority, UriKind.Absolute, out _))
            problems.Add($"Auth:Jwt:Authority = '{jwt.Authority}': must be an absolute URL");
        if (!string.IsNullOrWhiteSpace(jwt.SigningKeyFile))
        {
            if (string.IsNullOrWhiteSpace(jwt.Issuer)) problems.Add("Auth:Jwt:Issuer: required with Auth:Jwt:SigningKeyFile (the 'iss' the tokens must carry)");
            try
            {
                if (LoadSigningKeys(jwt.SigningKeyFile).Count == 0)
                    problems.Add($"Auth:Jwt:SigningKeyFile = '{jwt.SigningKeyFile}': holds no PEM public key or certificate");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                problems.Add($"Auth:Jwt:SigningKeyFile = '{jwt.SigningKeyFile}': cannot be read ({e.Message})");
            }
        }
    }

    /// <summary>The public keys of a PEM file: every <c>PUBLIC KEY</c> (RSA or EC) and <c>CERTIFICATE</c> block.</summary>
    public static IReadOnlyList<SecurityKey> LoadSigningKeys(string path)
    {
        var text = File.ReadAllText(path);
        var keys = new List<SecurityKey>();
        int at = 0;
        while (true)
        {
            int begin = text.IndexOf("-----BEGIN ", at, StringComparison.Ordinal);
            if (begin < 0) break;
            int labelEnd = text.IndexOf("-----", begin + 11, StringComparison.Ordinal);
            if (labelEnd < 0) break;
            var label = text[(begin + 11)..labelEnd];
            var endMarker = "-----END " + label + "-----";
            int end = text.IndexOf(endMarker, labelEnd, StringComparison.Ordinal);
            if (end < 0) break;
            var block = text[begin..(end + endMarker.Length)];
            at = end + endMarker.Length;
            switch (label)
            {
                case "CERTIFICATE":
                    var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(block);
                    keys.Add(new X509SecurityKey(certificate));
                    break;
                case "PUBLIC KEY" or "RSA PUBLIC KEY":
                    try
                    {
                        var rsa = RSA.Create();
                        rsa.ImportFromPem(block);
                        keys.Add(new RsaSecurityKey(rsa));
                    }
                    catch (CryptographicException) when (label == "PUBLIC KEY")
                    {
                        var ec = ECDsa.Create();
                        ec.ImportFromPem(block);
                        keys.Add(new ECDsaSecurityKey(ec));
                    }
                    break;
            }
        }
        return keys;
    }

    /// <summary>Refuses every plain-HTTP address beyond loopback among <paramref name="urls"/> (the <c>urls</c>
    /// setting, ';'-separated) unless <see cref="AuthSettings.AllowPlainHttpBeyondLoopback"/>.</summary>
    public static void CheckListenAddresses(string? urls, AuthSettings settings, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(problems);
        if (string.IsNullOrWhiteSpace(urls) || settings.AllowPlainHttpBeyondLoopback) return;
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) continue;
            var rest = url[7..];
            int slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0) rest = rest[..slash];
            string host = rest.StartsWith('[') ? rest[..(rest.IndexOf(']', StringComparison.Ordinal) + 1)] : rest.Split(':')[0];
            if (IsLoopback(host)) continue;
            problems.Add($"urls = '{url}': listens beyond loopback over plain HTTP, so API keys and tokens would cross the network in clear; "
                + "use https:// with a certificate (Kestrel:Certificates:Default:Path) or set Auth:AllowPlainHttpBeyondLoopback=true");
        }
    }

    /// <summary>Refuses a silo whose Orleans gateway is reachable beyond loopback without mutual TLS (<c>Silo:Tls</c>):
    /// clustering other than Localhost, <c>Silo:ListenOnAnyAddress</c>, or a non-loopback <c>Silo:AdvertisedAddress</c>,
    /// unless <see cref="AuthSettings.AllowPlainGatewayBeyondLoopback"/>. Clients send their API key with every call.</summary>
    public static void CheckGateway(SiloSettings silo, AuthSettings settings, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(problems);
        if (silo.Tls.Enabled || settings.AllowPlainGatewayBeyondLoopback || silo.GatewayPort == 0) return;
        string? why = silo.Clustering != Imv.Client.Connection.ClusteringKinds.Localhost ? $"Silo:Clustering = '{silo.Clustering}'"
            : silo.ListenOnAnyAddress ? "Silo:ListenOnAnyAddress = 'true'"
            : silo.AdvertisedAddress is { } advertised && !IsLoopback(advertised) ? $"Silo:AdvertisedAddress = '{advertised}'"
            : null;
        if (why is null) return;
        problems.Add($"{why}: the Orleans gateway (Silo:GatewayPort {silo.GatewayPort}) is reachable beyond loopback without TLS, so the API keys of SDK and imv "
            + "clients would cross the network in clear; configure Silo:Tls (Silo:Tls:CertificatePath) or set Auth:AllowPlainGatewayBeyondLoopback=true");
    }

    private static bool IsLoopback(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        var bare = host.Trim('[', ']');
        return System.Net.IPAddress.TryParse(bare, out var address) && System.Net.IPAddress.IsLoopback(address);
    }
}
