using Imv.Silo.Security;
using Imv.Grains.Interfaces.Identity;

namespace Imv.Silo.Api;

/// <summary><c>/api/identities</c>: resolving and binding physical identifiers (handles, DIDs, employee numbers, EPCs).</summary>
public static class IdentityEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapIdentityEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/identities/{**identifier}", ResolveAsync).Requires(Right.Read);
        app.MapPost("/api/identities", BindAsync).Requires(Right.Administer);
        app.MapGet("/api/virtual/{virtualId}/identifiers", ListAsync).Requires(Right.Read);
    }

    /// <summary>A resolved identifier.</summary>
    public sealed record ResolutionView(string Identifier, IdentifierKind Kind, string VirtualId, IReadOnlyList<string> AllIdentifiers);

    private static async Task<IResult> ResolveAsync(string identifier, IGrainFactory grains)
    {
        var text = Uri.UnescapeDataString(identifier ?? "");
        if (!IdentifierParser.TryParse(text, out var parsed, out var error)) return ApiResults.BadRequest("Invalid identifier: " + error, new { identifier = text });
        var resolution = await grains.ResolveIdentityAsync(parsed).ConfigureAwait(false);
        if (resolution.Status != ResolutionStatus.Found || resolution.VirtualId is null)
            return ApiResults.NotFound($"Identifier '{parsed.Canonical}' is bound to nothing.", new { identifier = parsed.Canonical });
        var all = await grains.GetIdentifiersAsync(resolution.VirtualId).ConfigureAwait(false);
        return Results.Ok(new ResolutionView(parsed.Canonical, parsed.Kind, resolution.VirtualId, [.. all.Select(i => i.Canonical)]));
    }

    private static async Task<IResult> BindAsync(HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBody.ReadAsync<BindIdentityBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return bodyError!;
        if (string.IsNullOrWhiteSpace(body.VirtualId)) return ApiResults.BadRequest("The binding needs a 'virtualId'.", new { field = "virtualId" });
        if (IdRule.CheckFields(("virtualId", body.VirtualId)) is { } badId) return badId;
        if (!IdentifierParser.TryParse(body.Identifier, out var parsed, out var error)) return ApiResults.BadRequest("Invalid identifier: " + error, new { field = "identifier" });
        var result = await grains.RegisterIdentityAsync(parsed, body.VirtualId).ConfigureAwait(false);
        if (result.Status == RegistrationStatus.Duplicate)
            return ApiResults.Conflict($"Identifier '{parsed.Canonical}' is already bound to '{result.ExistingVirtualId}'.", result);
        return Results.Created($"/api/identities/{parsed.Canonical}", new ResolutionView(parsed.Canonical, parsed.Kind, body.VirtualId, [parsed.Canonical]));
    }

    private static async Task<IResult> ListAsync(string virtualId, IGrainFactory grains)
    {
        var all = await grains.GetIdentifiersAsync(virtualId).ConfigureAwait(false);
        return Results.Ok(new { virtualId, identifiers = all.Select(i => new { identifier = i.Canonical, kind = i.Kind }) });
    }
}
