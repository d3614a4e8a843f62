using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Imv.Silo.Security;

/// <summary>Registers the API's authentication: API keys always, JWT bearer tokens when <c>Auth:Jwt</c> names an
/// authority or a key file, and a policy scheme choosing between them by the request's Authorization header.</summary>
public static class AuthenticationSetup
{
    /// <summary>The default scheme: forwards to the API key or the JWT scheme.</summary>
    public const string PolicyScheme = "Imv";

    /// <summary>Adds the services.</summary>
    public static IServiceCollection AddImvAuthentication(this IServiceCollection services, AuthSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton(settings);
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<AccessControl>();
        var jwt = settings.Jwt;
        var builder = services.AddAuthentication(PolicyScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddPolicyScheme(PolicyScheme, "API key or JWT bearer token", o => o.ForwardDefaultSelector = context =>
            {
                var authorization = context.Request.Headers.Authorization.ToString();
                return jwt.Enabled && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    && !authorization.AsSpan(7).TrimStart().StartsWith(ApiKey.Prefix, StringComparison.Ordinal)
                    ? JwtBearerDefaults.AuthenticationScheme : ApiKeyAuthenticationHandler.SchemeName;
            });
        if (!jwt.Enabled) return services;
        builder.AddJwtBearer(JwtBearerDefaults.AuthenticationScheme, o =>
        {
            o.MapInboundClaims = false;
            if (!string.IsNullOrWhiteSpace(jwt.Authority))
            {
                o.Authority = jwt.Authority;
                o.RequireHttpsMetadata = jwt.RequireHttpsMetadata;
            }
            o.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidIssuer = string.IsNullOrWhiteSpace(jwt.Issuer) ? null : jwt.Issuer,
                ValidateAudience = true,
                ValidAudience = jwt.Audience,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ValidateIssuerSigningKey = true,
                ClockSkew = TimeSpan.FromSeconds(30),
                IssuerSigningKeys = string.IsNullOrWhiteSpace(jwt.SigningKeyFile) ? null : AuthSettingsValidator.LoadSigningKeys(jwt.SigningKeyFile),
                NameClaimType = jwt.AvatarClaim,
            };
            o.Events = new JwtBearerEvents
            {
                OnTokenValidated = context =>
                {
                    var avatar = context.Principal?.FindFirst(jwt.AvatarClaim)?.Value;
                    if (string.IsNullOrWhiteSpace(avatar)) context.Fail($"the token has no '{jwt.AvatarClaim}' claim naming an avatar");
                    else context.Principal!.AddIdentity(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, avatar)]));
                    return Task.CompletedTask;
                },
            };
        });
        return services;
    }
}
