using Imv.Silo.Security;
using Imv.Grains.Interfaces.Avatars;
using Imv.Silo.Directory;

namespace Imv.Silo.Api;

/// <summary><c>/api/avatars</c>: registration, sessions on interactive devices, supervision.</summary>
public static class AvatarEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapAvatarEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/avatars", ListAsync).Requires(Right.Read);
        app.MapPost("/api/avatars", RegisterAsync).Requires(Right.Administer);
        app.MapGet("/api/avatars/{id}", GetAsync).Requires(Right.Read);
        app.MapPut("/api/avatars/{id}/active", SetActiveAsync).Requires(Right.Administer);
        app.MapGet("/api/avatars/{id}/sessions", SessionsAsync).Requires(Right.Read);
        app.MapPost("/api/avatars/{id}/sessions", OpenSessionAsync).Requires(Right.Sessions, TargetKind.Self);
        app.MapDelete("/api/avatars/{id}/sessions/{sessionId}", CloseSessionAsync).Requires(Right.Sessions, TargetKind.Self);
        app.MapGet("/api/avatars/{id}/supervised", SupervisedAsync).Requires(Right.Read);
        app.MapPost("/api/avatars/{id}/supervised", SuperviseAsync).Requires(Right.Supervise, TargetKind.Self);
        app.MapDelete("/api/avatars/{id}/supervised/{supervisedId}", StopSupervisingAsync).Requires(Right.Supervise, TargetKind.Self);
        app.MapGet("/api/avatars/{id}/personal", GetPersonalAsync).Requires(Right.PersonalData, TargetKind.Self);
        app.MapPut("/api/avatars/{id}/personal", SetPersonalAsync).Requires(Right.PersonalData, TargetKind.Self);
        app.MapDelete("/api/avatars/{id}/personal", ErasePersonalAsync).Requires(Right.PersonalData, TargetKind.Self);
    }

    /// <summary>404 for an unknown avatar.</summary>
    public static IResult UnknownAvatar(string avatarId) => ApiResults.NotFound($"Unknown avatar '{avatarId}'.", new { avatarId });

    /// <summary>An avatar in detail.</summary>
    public sealed record AvatarDetail(AvatarProfile Profile, IReadOnlyList<DeviceSession> Sessions);

    private static async Task<IResult> ListAsync(HttpRequest request, IGrainFactory grains, GridCatalog catalog)
    {
        if (!Paging.TryRead(request, out var paging, out var error)) return error!;
        var page = paging.Of(catalog.Avatars);
        var profiles = await Task.WhenAll(page.Items.Select(id => grains.GetGrain<IAvatarGrain>(id).GetProfileAsync())).ConfigureAwait(false);
        return Results.Ok(new Page<AvatarProfile>(page.Number, page.PageSize, page.Total, [.. profiles.OfType<AvatarProfile>()]));
    }

    private static async Task<IResult> RegisterAsync(HttpRequest request, IGrainFactory grains, GridCatalog catalog, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBody.ReadAsync<RegisterAvatarBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return bodyError!;
        if (string.IsNullOrWhiteSpace(body.AvatarId)) return ApiResults.BadRequest("The avatar needs an 'avatarId'.", new { field = "avatarId" });
        if (string.IsNullOrWhiteSpace(body.DisplayName)) return ApiResults.BadRequest("The avatar needs a 'displayName'.", new { field = "displayName" });
        if (body.DisplayName.Length > 200) return ApiResults.BadRequest($"'displayName' is at most 200 characters (was {body.DisplayName.Length}).", new { field = "displayName" });
        if (IdRule.CheckFields(("avatarId", body.AvatarId), ("drivenBy", body.DrivenBy)) is { } badId) return badId;
        if (body.Scopes is { } scopes)
        {
            if (scopes.Count > 1000) return ApiResults.BadRequest($"'scopes' has {scopes.Count} items (at most 1000).", new { field = "scopes" });
            for (int i = 0; i < scopes.Count; i++)
                if (IdRule.CheckFields(($"scopes[{i}]", scopes[i] ?? "")) is { } badScope) return badScope;
        }
        var personal = new PersonalData(body.DisplayName, body.EmployeeNumber, body.Contact);
        if (personal.Problems() is { Count: > 0 } personalProblems) return PersonalProblems(personalProblems);
        try
        {
            var avatar = grains.GetGrain<IAvatarGrain>(body.AvatarId);
            var profile = await avatar.RegisterAsync(new AvatarRegistration(
                body.DisplayName, body.Kind, body.Role, body.Driver, body.DrivenBy, body.SiteMode, body.Scopes ?? [])).ConfigureAwait(false);
            if (body.EmployeeNumber is not null || body.Contact is not null) await avatar.SetPersonalDataAsync(personal).ConfigureAwait(false);
            catalog.AddAvatar(body.AvatarId);
            await grains.GetGrain<IGridCatalogGrain>(IGridCatalogGrain.Key).AddAvatarAsync(body.AvatarId).ConfigureAwait(false);
            return Results.Created($"/api/avatars/{Uri.EscapeDataString(body.AvatarId)}", profile);
        }
        catch (ArgumentException e)
        {
            return ApiResults.BadRequest("Invalid avatar registration: " + e.Message);
        }
    }

    private static IResult PersonalProblems(IReadOnlyList<string> problems) =>
        ApiResults.BadRequest("Invalid personal data: " + string.Join("; ", problems) + ".", new { problems });

    private static async Task<IResult> GetPersonalAsync(string id, IGrainFactory grains) =>
        await grains.GetGrain<IAvatarGrain>(id).GetPersonalDataAsync().ConfigureAwait(false) is { } view ? Results.Ok(view) : UnknownAvatar(id);

    private static async Task<IResult> SetPersonalAsync(string id, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBody.ReadAsync<PersonalDataBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return bodyError!;
        var data = new PersonalData(body.Name ?? "", body.EmployeeNumber, body.Contact);
        if (data.Problems() is { Count: > 0 } problems) return PersonalProblems(problems);
        var avatar = grains.GetGrain<IAvatarGrain>(id);
        if (await avatar.GetProfileAsync().ConfigureAwait(false) is null) return UnknownAvatar(id);
        return Results.Ok(await avatar.SetPersonalDataAsync(data).ConfigureAwait(false));
    }

    private static async Task<IResult> ErasePersonalAsync(string id, IGrainFactory grains)
    {
        var avatar = grains.GetGrain<IAvatarGrain>(id);
        if (await avatar.GetProfileAsync().ConfigureAwait(false) is null) return UnknownAvatar(id);
        return Results.Ok(await avatar.ErasePersonalDataAsync().ConfigureAwait(false));
    }

    private static async Task<IResult> GetAsync(string id, IGrainFactory grains)
    {
        var avatar = grains.GetGrain<IAvatarGrain>(id);
        var profile = await avatar.GetProfileAsync().ConfigureAwait(false);
        if (profile is null) return UnknownAvatar(id);
        return Results.Ok(new AvatarDetail(profile, await avatar.GetSessionsAsync().ConfigureAwait(false)));
    }

    private static async Task<IResult> SetActiveAsync(string id, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBody.ReadAsync<ActiveBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return bodyError!;
        if (body.Active is not { } active) return ApiResults.BadRequest("The body needs 'active' (true or false).", new { field = "active" });
        var avatar = grains.GetGrain<IAvatarGrain>(id);
        if (await avatar.GetProfileAsync().ConfigureAwait(false) is null) return UnknownAvatar(id);
        await avatar.SetActiveAsync(active).ConfigureAwait(false);
        return Results.Ok(await avatar.GetProfileAsync().ConfigureAwait(false));
    }

    private static async Task<IResult> SessionsAsync(string id, IGrainFactory grains)
    {
        var avatar = grains.GetGrain<IAvatarGrain>(id);
        if (await avatar.GetProfileAsync().ConfigureAwait(false) is null) return UnknownAvatar(id);
        return Results.Ok(await avatar.GetSessionsAsync().ConfigureAwait(false));
    }

    private static async Task<IResult> OpenSessionAsync(string id, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBody.ReadAsync<OpenSessionBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return bodyError!;
        if (string.IsNullOrWhiteSpace(body.DeviceId)) return ApiResults.BadRequest("The session needs a 'deviceId'.", new { field = "deviceId" });
        if (IdRule.CheckFields(("deviceId", body.DeviceId)) is { } badId) return badId;
        var avatar = grains.GetGrain<IAvatarGrain>(id);
        var profile = await avatar.GetProfileAsync().ConfigureAwait(false);
        if (profile is null) return UnknownAvatar(id);
        if (!profile.Active) return ApiResults.Conflict($"Avatar '{id}' is inactive: it may not open sessions.", profile);
        try
        {
            var session = await avatar.OpenSessionAsync(body.Device, body.DeviceId).ConfigureAwait(false);
            return Results.Created($"/api/avatars/{Uri.EscapeDataString(id)}/sessions/{Uri.EscapeDataString(session.SessionId)}", session);
        }
        catch (InvalidOperationException e)
        {
            return ApiResults.Conflict("Session refused: " + e.Message);
        }
    }

    private static async Task<IResult> CloseSessionAsync(string id, string sessionId, IGrainFactory grains)
    {
        var avatar = grains.GetGrain<IAvatarGrain>(id);
        if (await avatar.GetProfileAsync().ConfigureAwait(false) is null) return UnknownAvatar(id);
        return await avatar.CloseSessionAsync(sessionId).ConfigureAwait(false)
            ? Results.NoContent()
            : ApiResults.NotFound($"Avatar '{id}' has no session '{sessionId}'.", new { avatarId = id, sessionId });
    }

    private static async Task<IResult> SupervisedAsync(string id, IGrainFactory grains)
    {
        var avatar = grains.GetGrain<IAvatarGrain>(id);
        if (await avatar.GetProfileAsync().ConfigureAwait(false) is null) return UnknownAvatar(id);
        return Results.Ok(await avatar.GetSupervisedAsync().ConfigureAwait(false));
    }

    private static async Task<IResult> SuperviseAsync(string id, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBody.ReadAsync<SuperviseBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return bodyError!;
        if (string.IsNullOrWhiteSpace(body.AvatarId)) return ApiResults.BadRequest("The body needs the 'avatarId' to supervise.", new { field = "avatarId" });
        if (IdRule.CheckFields(("avatarId", body.AvatarId)) is { } badId) return badId;
        var avatar = grains.GetGrain<IAvatarGrain>(id);
        if (await avatar.GetProfileAsync().ConfigureAwait(false) is null) return UnknownAvatar(id);
        if (await grains.GetGrain<IAvatarGrain>(body.AvatarId).GetProfileAsync().ConfigureAwait(false) is null) return UnknownAvatar(body.AvatarId);
        try
        {
            await avatar.SuperviseAsync(body.AvatarId).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            return ApiResults.Conflict("Supervision refused: " + e.Message, new { supervisorId = id, avatarId = body.AvatarId });
        }
        return Results.Ok(await avatar.GetSupervisedAsync().ConfigureAwait(false));
    }

    private static async Task<IResult> StopSupervisingAsync(string id, string supervisedId, IGrainFactory grains)
    {
        var avatar = grains.GetGrain<IAvatarGrain>(id);
        if (await avatar.GetProfileAsync().ConfigureAwait(false) is null) return UnknownAvatar(id);
        return await avatar.StopSupervisingAsync(supervisedId).ConfigureAwait(false)
            ? Results.NoContent()
            : ApiResults.NotFound($"Avatar '{id}' does not supervise '{supervisedId}'.", new { avatarId = id, supervisedId });
    }
}
