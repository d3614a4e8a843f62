namespace Imv.Silo.Security;

/// <summary>Authentication of the HTTP API and the web page, bound from the section <see cref="SectionName"/>
/// (docs/api.md, "Authentication"). Every value is checked by <see cref="AuthSettingsValidator"/> before anything opens.</summary>
public sealed class AuthSettings
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Auth";

    /// <summary>Whether the silo creates an administrator API key when it has none (first start on a fresh data
    /// file) and writes it to <see cref="AdminKeyFile"/>. Default true; with false, a JWT issuer must be configured.</summary>
    public bool CreateAdminKey { get; set; } = true;

    /// <summary>Where the first administrator key is written (permissions 0600). Default: beside the data file
    /// (<c>&lt;Silo:SqlitePath&gt;.admin-key</c>), or <c>imv.admin-key</c> in the working directory with memory storage.</summary>
    public string? AdminKeyFile { get; set; }

    /// <summary>Creates a new administrator key at this start even though keys exist (a lost key file), and writes it
    /// to <see cref="AdminKeyFile"/>. Default false.</summary>
    public bool NewAdminKey { get; set; }

    /// <summary>Lets the API listen beyond loopback over plain HTTP (keys and tokens then cross the network in
    /// clear). Default false: such a <c>--urls</c> is refused.</summary>
    public bool AllowPlainHttpBeyondLoopback { get; set; }

    /// <summary>Lets a silo's Orleans gateway (the SDK's and <c>imv</c>'s way in) be reachable beyond loopback without
    /// <c>Silo:Tls</c> (API keys then cross the network in clear). Default false: a silo clustered beyond Localhost,
    /// listening on any address, or advertising a non-loopback address, refuses to start without TLS.</summary>
    public bool AllowPlainGatewayBeyondLoopback { get; set; }

    /// <summary>JWT bearer tokens from an OpenID Connect issuer or a key file (section <c>Auth:Jwt</c>).</summary>
    public JwtSettings Jwt { get; set; } = new();
}

/// <summary>JWT bearer tokens (section <c>Auth:Jwt</c>): the token's <see cref="AvatarClaim"/> names the avatar.</summary>
public sealed class JwtSettings
{
    /// <summary>The OpenID Connect authority; its discovery document (<c>/.well-known/openid-configuration</c>)
    /// gives the issuer and the signing keys.</summary>
    public string? Authority { get; set; }

    /// <summary>Whether the authority's metadata must be fetched over HTTPS. Default true.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The expected issuer (<c>iss</c>); required with <see cref="SigningKeyFile"/>.</summary>
    public string? Issuer { get; set; }

    /// <summary>The expected audience (<c>aud</c>); required whenever JWTs are accepted.</summary>
    public string? Audience { get; set; }

    /// <summary>A PEM file of the issuer's public signing key(s) (RSA or EC public keys or certificates).</summary>
    public string? SigningKeyFile { get; set; }

    /// <summary>The claim naming the avatar. Default <c>sub</c>.</summary>
    public string AvatarClaim { get; set; } = "sub";

    /// <summary>Whether JWTs are accepted at all.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(SigningKeyFile);
}
