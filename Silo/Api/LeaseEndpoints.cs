using Imv.Silo.Security;
using System.Globalization;
using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Api;

/// <summary><c>/api/twins/{id}/lease</c>: the operator lease (one avatar controls a twin at a time).</summary>
public static class LeaseEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapLeaseEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/twins/{id}/lease", GetAsync).Requires(Right.Read, TargetKind.Twin);
        app.MapPost("/api/twins/{id}/lease", AcquireAsync).Requires(Right.Lease, TargetKind.Body); // the twin checks the holder's scopes
        app.MapDelete("/api/twins/{id}/lease", ReleaseAsync).Requires(Right.Lease, TargetKind.Body); // one releases one's own lease; another's needs ManageLeases
    }

    private static async Task<IResult> GetAsync(string id, IGrainFactory grains)
    {
        if (await TwinEndpoints.FindTwinAsync(grains, id).ConfigureAwait(false) is null) return ApiResults.UnknownTwin(id);
        var lease = await grains.GetGrain<IMachineGrain>(id).GetLeaseAsync().ConfigureAwait(false);
        return lease is null ? ApiResults.NotFound($"Twin '{id}' is under no operator lease.", new { twinId = id }) : Results.Ok(lease);
    }

    private static async Task<IResult> AcquireAsync(string id, HttpRequest request, Caller caller, AccessControl access, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync<LeaseBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return error!;
        body = body with { AvatarId = body.AvatarId ?? caller.AvatarId };
        if (string.IsNullOrWhiteSpace(body.AvatarId)) return ApiResults.BadRequest("'avatarId' may not be blank.", new { field = "avatarId" });
        if (body.AvatarId != caller.AvatarId && await access.AuthorizeAsync(caller, Right.ManageLeases, TargetKind.Twin, id).ConfigureAwait(false) is { } refused) return refused;
        double max = Grains.Commands.OperatorLeaseBook.MaxDuration.TotalSeconds;
        if (!double.IsFinite(body.DurationSeconds) || body.DurationSeconds <= 0 || body.DurationSeconds > max)
            return ApiResults.BadRequest($"'durationSeconds' must be more than 0 and at most {max.ToString(CultureInfo.InvariantCulture)} (12 h; was {body.DurationSeconds.ToString(CultureInfo.InvariantCulture)}).", new { field = "durationSeconds" });
        if (IdRule.CheckFields(("avatarId", body.AvatarId)) is { } badId) return badId;
        if (await TwinEndpoints.FindTwinAsync(grains, id).ConfigureAwait(false) is null) return ApiResults.UnknownTwin(id);
        var avatar = grains.GetGrain<IAvatarGrain>(body.AvatarId);
        if (await avatar.GetProfileAsync().ConfigureAwait(false) is null) return AvatarEndpoints.UnknownAvatar(body.AvatarId);
        var result = await avatar.AcquireLeaseAsync(id, TimeSpan.FromSeconds(body.DurationSeconds)).ConfigureAwait(false);
        if (result.Granted) return Results.Ok(result);
        // Refused while another avatar holds the lease: 409; refused for the avatar itself (its scopes): 403.
        return result.Lease is { } held && held.Holder != body.AvatarId
            ? ApiResults.Conflict($"Twin '{id}' is leased by another avatar: {result.Reason}", result)
            : ApiResults.Forbidden($"Forbidden: {result.Reason}", result);
    }

    private static async Task<IResult> ReleaseAsync(string id, HttpRequest request, Caller caller, AccessControl access, IGrainFactory grains)
    {
        var avatarId = request.Query.TryGetValue("avatarId", out var given) ? given.ToString() : caller.AvatarId;
        if (string.IsNullOrWhiteSpace(avatarId)) return ApiResults.BadRequest("Query parameter 'avatarId' may not be blank.", new { parameter = "avatarId" });
        if (avatarId != caller.AvatarId && await access.AuthorizeAsync(caller, Right.ManageLeases, TargetKind.Twin, id).ConfigureAwait(false) is { } refused) return refused;
        if (await TwinEndpoints.FindTwinAsync(grains, id).ConfigureAwait(false) is null) return ApiResults.UnknownTwin(id);
        var twin = grains.GetGrain<IMachineGrain>(id);
        if (await twin.ReleaseLeaseAsync(avatarId).ConfigureAwait(false)) return Results.Ok(new { twinId = id, avatarId, released = true });
        var lease = await twin.GetLeaseAsync().ConfigureAwait(false);
        return lease is null
            ? ApiResults.NotFound($"Twin '{id}' is under no operator lease.", new { twinId = id })
            : ApiResults.Conflict($"Twin '{id}' is leased by '{lease.Holder}', not '{avatarId}'.", lease);
    }
}
