using System.Security.Claims;
using Imv.Grains.Interfaces.Avatars;
using Imv.Silo.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.IdentityModel.Tokens;

namespace Imv.Silo.Security;

/// <summary>The edge's gate. Every API request (under <c>/api</c> and <c>/dashboard</c>, except endpoints marked
/// <see cref="PublicAccess"/>) must authenticate (401 with the reason in words otherwise), must name a registered,
/// active avatar (403), and that avatar's role must hold the endpoint's <see cref="AccessRule"/> on its target (403
/// naming the right and the scope). An API endpoint without a rule is for administrators only: forgetting a rule
/// closes a route rather than opening it.</summary>
public sealed partial class ApiAccessMiddleware(RequestDelegate next, IGrainFactory grains, AccessControl access, ILogger<ApiAccessMiddleware> logger)
{
    /// <summary>Handles a request.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.GetEndpoint();
        var path = context.Request.Path;
        bool dashboard = path.StartsWithSegments("/dashboard", StringComparison.OrdinalIgnoreCase);
        bool guarded = path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || dashboard;
        var rule = endpoint?.Metadata.GetMetadata<AccessRule>();
        if (endpoint?.Metadata.GetMetadata<PublicAccess>() is not null || (!guarded && rule is null))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var result = await context.AuthenticateAsync().ConfigureAwait(false);
        if (!result.Succeeded)
        {
            var reason = result.Failure is null
                ? "no credentials: send an API key (header 'X-Api-Key: imv_…') or a bearer token (header 'Authorization: Bearer …')"
                : Describe(result.Failure);
            LogRefused(logger, context.Request.Method, path, 401, reason);
            context.Items[Audit.AuditMiddleware.RefusalItem] = reason;
            context.Response.Headers.WWWAuthenticate = result.Failure is null ? "ApiKey, Bearer" : $"Bearer error=\"invalid_token\", error_description=\"{reason.Replace('"', '\'')}\"";
            await ApiResults.Error(StatusCodes.Status401Unauthorized, "Not authenticated: " + reason, new { reason }).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        context.User = result.Principal!;
        var avatarId = result.Principal!.FindFirstValue(ClaimTypes.NameIdentifier) ?? "";
        var via = result.Principal.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim) is { } keyId ? "key:" + keyId : "jwt";
        var profile = string.IsNullOrEmpty(avatarId) ? null : await grains.GetGrain<IAvatarGrain>(avatarId).GetProfileAsync().ConfigureAwait(false);
        IResult? refusal = profile switch
        {
            null => ApiResults.Forbidden($"Forbidden: the credentials name avatar '{avatarId}', which is not registered in this grid.", new { avatarId }),
            { Active: false } => ApiResults.Forbidden($"Forbidden: avatar '{avatarId}' is inactive.", new { avatarId }),
            _ => null,
        };
        if (refusal is null)
        {
            var caller = new Caller(profile!, via);
            context.Features.Set(caller);
            // One id rule for every id in a route (identifiers of /api/identities have their own syntax).
            if (endpoint is not null)
                foreach (var (name, value) in context.Request.RouteValues)
                    if (name != "identifier" && value is string text && IdRule.CheckParameter(name, Uri.UnescapeDataString(text)) is { } bad)
                    {
                        await bad.ExecuteAsync(context).ConfigureAwait(false);
                        return;
                    }
            if (endpoint is not null)
            {
                rule ??= dashboard ? new AccessRule(Right.Read) : new AccessRule(Right.Administer);
                var target = rule.Target is TargetKind.None ? null : context.Request.RouteValues[rule.RouteValue]?.ToString();
                refusal = await access.AuthorizeAsync(caller, rule.Right, rule.Target, target).ConfigureAwait(false);
            }
        }
        if (refusal is not null)
        {
            LogRefused(logger, context.Request.Method, path, 403, avatarId);
            context.Items[Audit.AuditMiddleware.RefusalItem] = "forbidden";
            await refusal.ExecuteAsync(context).ConfigureAwait(false);
            return;
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>Why a token or key was refused, in words.</summary>
    public static string Describe(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure switch
        {
            SecurityTokenExpiredException e => $"the token expired at {e.Expires:u}",
            SecurityTokenNotYetValidException e => $"the token is not valid before {e.NotBefore:u}",
            SecurityTokenSignatureKeyNotFoundException => "the token is signed with a key this grid does not know",
            SecurityTokenInvalidSignatureException e when e.Message.Contains("does not have a signature", StringComparison.Ordinal) => "the token is not signed",
            SecurityTokenInvalidSignatureException => "the token's signature does not verify with the configured signing keys",
            SecurityTokenInvalidIssuerException => "the token comes from an issuer this grid does not trust",
            SecurityTokenInvalidAudienceException => "the token is made for another audience",
            SecurityTokenNoExpirationException => "the token has no expiry",
            SecurityTokenMalformedException => "the token is not a well-formed JWT",
            SecurityTokenException e => "the token is invalid: " + e.Message,
            // IDX14xxx: the JSON Web Token reader could not parse the text.
            _ when failure.Message.StartsWith("IDX14", StringComparison.Ordinal) => "the token is not a well-formed JWT (" + failure.Message + ")",
            _ => failure.Message,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} refused with {Status}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string method, string path, int status, string reason);
}
