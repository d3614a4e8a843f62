using Imv.Silo.Security;
using Imv.Grains.Interfaces.Organizations;
using Imv.Silo.Directory;

namespace Imv.Silo.Api;

/// <summary><c>/api/orgs</c>: the organization tree with its live aggregates.</summary>
public static class OrganizationEndpoints
{
    /// <summary>Maps the endpoints.</summary>
    public static void MapOrganizationEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/orgs", ListRootsAsync).Requires(Right.Read);
        app.MapGet("/api/orgs/{id}", GetAsync).Requires(Right.Read, TargetKind.Organization);
        app.MapPut("/api/orgs/{id}/members/{memberId}", SetMemberAsync).Requires(Right.Organizations, TargetKind.Organization);
        app.MapDelete("/api/orgs/{id}/members/{memberId}", RemoveMemberAsync).Requires(Right.Organizations, TargetKind.Organization);
    }

    /// <summary>An organization's aggregate with the derived OEE ratios.</summary>
    public sealed record AggregateView(long MachineCount, long Running, long Idle, long Faulted, long Offline, long Unknown, long ActiveAlarms,
        TimeSpan PlannedTime, TimeSpan RunTime, long TotalCount, long GoodCount, double Availability, double Performance, double Quality, double Oee)
    {
        /// <summary>The view of an aggregate.</summary>
        public static AggregateView Of(OrganizationAggregate a)
        {
            ArgumentNullException.ThrowIfNull(a);
            return new(a.MachineCount, a.Running, a.Idle, a.Faulted, a.Offline, a.Unknown, a.ActiveAlarms, a.PlannedTime, a.RunTime,
                a.TotalCount, a.GoodCount, a.Availability, a.Performance, a.Quality, a.Oee);
        }
    }

    /// <summary>An organization in detail.</summary>
    public sealed record OrganizationView(string Id, OrganizationKind Kind, string Name, string? ParentId, IReadOnlyList<string> ChildOrganizations,
        IReadOnlyList<string> Machines, AggregateView Aggregate, IReadOnlyList<OrganizationMember> Members, IReadOnlyList<string> Ancestors);

    private static async Task<IResult> ListRootsAsync(IGrainFactory grains, GridCatalog catalog)
    {
        var views = await Task.WhenAll(catalog.RootOrganizations.Select(id => ViewAsync(grains, id))).ConfigureAwait(false);
        return Results.Ok(views.Where(v => v is not null));
    }

    private static async Task<IResult> GetAsync(string id, IGrainFactory grains)
    {
        var view = await ViewAsync(grains, id).ConfigureAwait(false);
        return view is null ? ApiResults.NotFound($"Unknown organization '{id}'.", new { organizationId = id }) : Results.Ok(view);
    }

    private static async Task<IResult> SetMemberAsync(string id, string memberId, HttpRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        var (body, bodyError) = await RequestBody.ReadAsync<MemberBody>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return bodyError!;
        if (body.Role is not { } role) return ApiResults.BadRequest("The body needs a 'role' (Viewer, Operator, Supervisor, Manager, Owner).", new { field = "role" });
        var org = grains.GetGrain<IVirtualOrganizationGrain>(id);
        if (!OrganizationTree.Exists(await org.GetInfoAsync().ConfigureAwait(false))) return ApiResults.NotFound($"Unknown organization '{id}'.", new { organizationId = id });
        await org.SetMemberAsync(memberId, role).ConfigureAwait(false);
        return Results.Ok(await org.GetMembersAsync().ConfigureAwait(false));
    }

    private static async Task<IResult> RemoveMemberAsync(string id, string memberId, IGrainFactory grains)
    {
        var org = grains.GetGrain<IVirtualOrganizationGrain>(id);
        if (!OrganizationTree.Exists(await org.GetInfoAsync().ConfigureAwait(false))) return ApiResults.NotFound($"Unknown organization '{id}'.", new { organizationId = id });
        return await org.RemoveMemberAsync(memberId).ConfigureAwait(false)
            ? Results.NoContent()
            : ApiResults.NotFound($"'{memberId}' is not a member of '{id}'.", new { organizationId = id, memberId });
    }

    private static async Task<OrganizationView?> ViewAsync(IGrainFactory grains, string id)
    {
        var org = grains.GetGrain<IVirtualOrganizationGrain>(id);
        var info = await org.GetInfoAsync().ConfigureAwait(false);
        if (!OrganizationTree.Exists(info)) return null;
        var aggregate = await org.GetAggregateAsync().ConfigureAwait(false);
        var members = await org.GetMembersAsync().ConfigureAwait(false);
        return new OrganizationView(info.Id, info.Kind, info.Name, info.ParentId, info.ChildOrganizations, info.Machines, AggregateView.Of(aggregate), members, info.Ancestors ?? []);
    }
}
