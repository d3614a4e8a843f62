using Imv.Grains.Interfaces.Avatars;
using Imv.Silo.Security;

namespace Imv.Silo.Api;

/// <summary><c>/api/me</c> (who the credentials are), <c>/api/keys</c> (API keys: created and revoked by an
/// administrator, each shown once) and <c>/api/login</c> (puts a key in an HttpOnly cookie for the web page).</summary>
public static class AccessEndpoints
{
    /// <summary>Body of <c>POST /api/keys</c>.</summary>
    /// <param name="AvatarId">The avatar the key acts as.</param>
    /// <param name="Name">What the key is for.</param>
    public sealed record CreateKeyBody(string? AvatarId = null, string? Name = null);

    /// <summary>Body of <c>POST /api/login</c>.</summary>
    /// <param name="ApiKey">The key to keep in the cookie.</param>
    public sealed record LoginBody(string? ApiKey = null);

    /// <summary>A key as listed (never its text).</summary>
    public sealed record KeyView(string KeyId, string AvatarId, string Name, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? RevokedAt, string? RevokedBy)
    {
        /// <summary>The view of a record.</summary>
        public static KeyView Of(ApiKeyRecord r)
        {
            ArgumentNullException.ThrowIfNull(r);
            return new(r.KeyId, r.AvatarId, r.Name, r.CreatedAt, r.CreatedBy, r.RevokedAt, r.RevokedBy);
        }
    }

    /// <summary>Maps the endpoints.</summary>
    public static void MapAccessEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/me", (Caller caller) => Results.Ok(new
        {
            avatarId = caller.AvatarId, role = caller.Role, scopes = caller.Profile.Scopes, via = caller.Via, rights = RolePolicy.Describe(caller.Role),
        })).Requires(Right.Identify);
        app.MapGet("/api/keys", async (ApiKeyStore keys) => Results.Ok((await keys.ListAsync().ConfigureAwait(false)).Select(KeyView.Of))).Requires(Right.Administer);
        app.MapPost("/api/keys", CreateAsync).Requires(Right.Administer);
        app.MapDelete("/api/keys/{keyId}", RevokeAsync).Requires(Right.Administer);
        app.MapPost("/api/login", LoginAsync).Public();
        app.MapDelete("/api/login", (HttpContext context) =>
        {
            context.Response.Cookies.Delete(ApiKeyAuthenticationHandler.CookieName);
            return Results.NoContent();
        }).Public();
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, Caller caller, ApiKeyStore keys, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync<CreateKeyBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return error!;
        if (string.IsNullOrWhiteSpace(body.AvatarId)) return ApiResults.BadRequest("The key needs the 'avatarId' it acts as.", new { field = "avatarId" });
        if (IdRule.CheckFields(("avatarId", body.AvatarId)) is { } badId) return badId;
        if (await grains.GetGrain<IAvatarGrain>(body.AvatarId).GetProfileAsync().ConfigureAwait(false) is null) return AvatarEndpoints.UnknownAvatar(body.AvatarId);
        var name = string.IsNullOrWhiteSpace(body.Name) ? "key of " + body.AvatarId : body.Name;
        if (name.Length > 200) return ApiResults.BadRequest($"'name' is at most 200 characters (was {name.Length}).", new { field = "name" });
        var (record, key) = (await keys.CreateAsync(body.AvatarId, name, caller.AvatarId, onlyIfNone: false).ConfigureAwait(false))!.Value;
        // The only time the key's text is shown.
        return Results.Created($"/api/keys/{record.KeyId}", new { key, keyId = record.KeyId, avatarId = record.AvatarId, name = record.Name, createdAt = record.CreatedAt });
    }

    private static async Task<IResult> RevokeAsync(string keyId, Caller caller, ApiKeyStore keys)
    {
        var record = await keys.RevokeAsync(keyId, caller.AvatarId).ConfigureAwait(false);
        return record is null ? ApiResults.NotFound($"Unknown API key '{keyId}'.", new { keyId }) : Results.Ok(KeyView.Of(record));
    }

    private static async Task<IResult> LoginAsync(HttpContext context, ApiKeyStore keys, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync<LoginBody>(context.Request, cancellationToken).ConfigureAwait(false);
        if (body is null) return error!;
        if (string.IsNullOrWhiteSpace(body.ApiKey)) return ApiResults.BadRequest("The body needs an 'apiKey'.", new { field = "apiKey" });
        var record = await keys.FindAsync(body.ApiKey, cancellationToken).ConfigureAwait(false);
        if (record is null) return ApiResults.Error(StatusCodes.Status401Unauthorized, "Not authenticated: the API key is not known to this grid, or it was revoked.", new { field = "apiKey" });
        var profile = await grains.GetGrain<IAvatarGrain>(record.AvatarId).GetProfileAsync().ConfigureAwait(false);
        context.Response.Cookies.Append(ApiKeyAuthenticationHandler.CookieName, body.ApiKey, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
        });
        return Results.Ok(new { avatarId = record.AvatarId, role = profile?.Role });
    }
}
