using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Imv.Silo.Security;

/// <summary>Authenticates a request by API key, taken from (first found) the <c>X-Api-Key</c> header,
/// <c>Authorization: ApiKey &lt;key&gt;</c>, <c>Authorization: Bearer imv_…</c>, or the <see cref="CookieName"/> cookie
/// (set by <c>POST /api/login</c> for the web page). The principal carries the avatar id and the key id.</summary>
public sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiKeyStore keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name.</summary>
    public const string SchemeName = "ApiKey";

    /// <summary>The header carrying a key.</summary>
    public const string HeaderName = "X-Api-Key";

    /// <summary>The cookie carrying a key for the web page.</summary>
    public const string CookieName = "imv_api_key";

    /// <summary>The claim carrying the key id.</summary>
    public const string KeyIdClaim = "imv:key";

    /// <summary>The key the request presents; null when it presents none.</summary>
    public static string? PresentedKey(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Headers.TryGetValue(HeaderName, out var header) && !string.IsNullOrEmpty(header)) return header.ToString().Trim();
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("ApiKey ", StringComparison.OrdinalIgnoreCase)) return authorization[7..].Trim();
        if (authorization.StartsWith("Bearer " + ApiKey.Prefix, StringComparison.OrdinalIgnoreCase)) return authorization[7..].Trim();
        if (authorization.Length > 0) return null;
        return request.Cookies.TryGetValue(CookieName, out var cookie) && !string.IsNullOrEmpty(cookie) ? cookie : null;
    }

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = PresentedKey(Request);
        if (key is null) return AuthenticateResult.NoResult();
        var record = await keys.FindAsync(key, Context.RequestAborted).ConfigureAwait(false);
        if (record is null) return AuthenticateResult.Fail("the API key is not known to this grid, or it was revoked");
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, record.AvatarId), new Claim(KeyIdClaim, record.KeyId)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
