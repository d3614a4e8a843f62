using Imv.Grains.Interfaces.Assets;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Api;

namespace Imv.Silo.Security;

/// <summary>Decides whether a caller may use a right on a target: the role's reach (<see cref="RolePolicy"/>), then,
/// for a reach limited to the caller's scopes, whether a scope covers the target (the target itself, or an
/// organization on its path: a scope on a site covers its lines and their machines).</summary>
public sealed class AccessControl(IGrainFactory grains)
{
    /// <summary>Null when allowed; otherwise the 403 answer naming the missing right and scope.</summary>
    public async Task<IResult?> AuthorizeAsync(Caller caller, Right right, TargetKind kind, string? targetId) =>
        await DecideAsync(caller, right, kind, targetId).ConfigureAwait(false) is { } refusal ? ApiResults.Forbidden(refusal.Message, refusal.Detail) : null;

    /// <summary>Null when allowed; otherwise why not, naming the missing right and scope. The one decision behind both
    /// the HTTP API's 403 (<see cref="AuthorizeAsync"/>) and the refusal of an Orleans client's call (<see cref="ClientCallGate"/>).</summary>
    public async Task<AccessRefusal?> DecideAsync(Caller caller, Right right, TargetKind kind, string? targetId)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var reach = caller.ReachOf(right);
        var who = $"avatar '{caller.AvatarId}' ({caller.Role})";
        var detail = new { right = right.ToString(), role = caller.Role.ToString(), avatarId = caller.AvatarId, target = targetId };
        switch (reach)
        {
            case Reach.Everywhere:
                return null;
            case Reach.None:
                return new($"Forbidden: {who} does not have the right '{right}'.", detail);
            case Reach.InScope when kind == TargetKind.Body:
                return null;
            case Reach.Self:
                if (kind == TargetKind.Self && string.Equals(targetId, caller.AvatarId, StringComparison.Ordinal)) return null;
                return new($"Forbidden: {who} has the right '{right}' only on itself, not on '{targetId}'.", detail);
        }
        if (kind == TargetKind.None || targetId is null)
            return new($"Forbidden: {who} has the right '{right}' only within its scopes ({Scopes(caller)}); ask for a twin or asset by its id.", detail);
        var (covered, where) = await CoversAsync(caller.Profile.Scopes, kind, targetId).ConfigureAwait(false);
        // An unknown target is the endpoint's to answer (404), not a matter of scope.
        return covered || where is null ? null
            : new($"Forbidden: {who} has the right '{right}' only within its scopes ({Scopes(caller)}), which cover neither {where}.", detail);
    }

    /// <summary>A replay reads every twin it replays and runs its loops: an engineer replays twins and organizations in
    /// its scopes; a replay of the whole grid needs the right everywhere. Null when allowed.</summary>
    public async Task<AccessRefusal?> DecideReplayAsync(Caller caller, string? organizationId, IReadOnlyList<string>? twinIds)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (organizationId is not null) return await DecideAsync(caller, Right.Configure, TargetKind.Organization, organizationId).ConfigureAwait(false);
        if (twinIds is not null)
        {
            foreach (var twin in twinIds.Distinct(StringComparer.Ordinal))
                if (await DecideAsync(caller, Right.Configure, TargetKind.Twin, twin).ConfigureAwait(false) is { } refused) return refused;
            return null;
        }
        return await DecideAsync(caller, Right.Configure, TargetKind.None, null).ConfigureAwait(false);
    }

    private static string Scopes(Caller caller) => caller.Profile.Scopes is { Count: > 0 } s ? "[" + string.Join(", ", s) + "]" : "none";

    /// <summary>Whether <paramref name="scopes"/> cover the target, and the target described with its organization path.</summary>
    public async Task<(bool Covered, string? Where)> CoversAsync(IReadOnlyList<string> scopes, TargetKind kind, string id)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        if (scopes.Contains(id, StringComparer.Ordinal)) return (true, id);
        switch (kind)
        {
            case TargetKind.Twin:
            {
                var config = await TwinEndpoints.FindTwinAsync(grains, id).ConfigureAwait(false);
                if (config is null) return (false, null);
                if (config.OrganizationId is not { } org) return (false, $"twin '{id}' (which belongs to no organization)");
                var path = await grains.GetGrain<IVirtualOrganizationGrain>(org).GetPathAsync().ConfigureAwait(false);
                return (path.Any(p => scopes.Contains(p, StringComparer.Ordinal)), $"twin '{id}' nor any organization containing it ({string.Join(" > ", path)})");
            }
            case TargetKind.Organization:
            {
                var path = await grains.GetGrain<IVirtualOrganizationGrain>(id).GetPathAsync().ConfigureAwait(false);
                return (path.Any(p => scopes.Contains(p, StringComparer.Ordinal)), $"organization '{id}' nor any containing it ({string.Join(" > ", path)})");
            }
            case TargetKind.Loop:
            {
                var status = await grains.GetGrain<IControlLoopGrain>(id).GetStatusAsync().ConfigureAwait(false);
                if (status.Configuration?.OutputTwinId is not { } twin) return (false, null);
                var (covered, where) = await CoversAsync(scopes, TargetKind.Twin, twin).ConfigureAwait(false);
                return (covered, $"control loop '{id}' whose output is {where}");
            }
            case TargetKind.Asset:
            {
                var info = await grains.GetGrain<IAssetGrain>(id).GetInfoAsync().ConfigureAwait(false);
                if (info is null) return (false, null);
                if (scopes.Contains(info.BoundTo, StringComparer.Ordinal)) return (true, id);
                return (false, $"asset '{id}' nor what it is bound to ('{info.BoundTo}')");
            }
            default:
                return (false, $"'{id}'");
        }
    }
}

/// <summary>Why <see cref="AccessControl"/> refused: the message (naming the right and the scope) and the detail the
/// HTTP API puts in its 403 answer.</summary>
/// <param name="Message">The refusal in words.</param>
/// <param name="Detail">Right, role, avatar and target, for the JSON answer.</param>
public sealed record AccessRefusal(string Message, object Detail);
