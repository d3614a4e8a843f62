using Imv.Grains.Interfaces.Access;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Interfaces.Watching;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Organizations;

/// <summary>An industrial virtual organization (enterprise, park, factory, workshop, line, equipment): a
/// node of the containment tree with members and live aggregates over the machines below it. Aggregates
/// are kept incrementally: machines push their <see cref="MachineStatus"/>, child organizations push
/// their aggregate, and each node applies only the difference from the child's last contribution, then
/// pushes its own new aggregate to its parent. Nothing polls the tree. Key: the organization id.</summary>
public interface IVirtualOrganizationGrain : IGrainWithStringKey
{
    /// <summary>Sets the organization's level and name. Idempotent with the same values; changing the
    /// level of an organization that has a parent or children is refused (<see cref="InvalidOperationException"/>).</summary>
    [SiloOnly]
    Task InitializeAsync(OrganizationKind kind, string name);

    /// <summary>The organization's place in the tree. Always interleaved (a pure read): an organization adopting
    /// another asks it for its info, so two organizations adopting each other at once (or a parent asked for its info
    /// by a child it is adopting) would otherwise wait for each other until the call timed out.</summary>
    [ClientRight(Right.Read, TargetKind.Organization)]
    [AlwaysInterleave]
    Task<OrganizationInfo> GetInfoAsync();

    /// <summary>The ids of the child organizations, ordered (a pure read, interleaved like <see cref="GetInfoAsync"/>):
    /// walking a tree without copying every machine id of every organization.</summary>
    [ClientRight(Right.Read, TargetKind.Organization)]
    [AlwaysInterleave]
    Task<IReadOnlyList<string>> GetChildOrganizationsAsync();

    /// <summary>Adds a child organization. The child must be initialized, at a deeper level, and without
    /// another parent; otherwise <see cref="InvalidOperationException"/>. Idempotent.</summary>
    [SiloOnly]
    Task AddChildOrganizationAsync(string childId);

    /// <summary>Removes a child organization and its contribution to the aggregates. Idempotent.</summary>
    [SiloOnly]
    Task RemoveChildOrganizationAsync(string childId);

    /// <summary>Attaches a machine twin; it counts as <see cref="MachineRunState.Unknown"/> until it reports.
    /// Idempotent.</summary>
    [SiloOnly]
    Task AttachMachineAsync(string machineId);

    /// <summary>Detaches a machine twin and removes its contribution. Idempotent.</summary>
    [SiloOnly]
    Task DetachMachineAsync(string machineId);

    /// <summary>A machine twin reports its new status (attaching it if needed). A status older than the
    /// last one applied for the same machine (by <see cref="MachineStatus.ReportedAt"/>) is ignored.</summary>
    [SiloOnly]
    Task ReportChildStatusAsync(string childId, MachineStatus status);

    /// <summary>A child organization reports its new aggregate. <paramref name="version"/> grows with every
    /// report from that child; an older or equal version than the last one applied is ignored, so reports
    /// that arrive out of order cannot roll the aggregate back. Reports from an organization that is not a
    /// child are ignored. Always interleaved: a parent waiting on a child (adopting or releasing it) still takes
    /// the child's reports, so a child pushing to its parent can never deadlock with the parent calling it.</summary>
    [SiloOnly]
    [AlwaysInterleave]
    Task ReportChildAggregateAsync(string childId, OrganizationAggregate aggregate, long version);

    /// <summary>Called by a new parent when it adopts this organization: records the parent and this
    /// organization's ancestors (<paramref name="ancestors"/>: root first, ending with <paramref name="parentId"/>),
    /// passes the new ancestry down to its own child organizations, and returns this organization's kind,
    /// current aggregate and version for the parent to apply. Refused (<see cref="InvalidOperationException"/>)
    /// when another parent holds it or it is not initialized; <see cref="ArgumentException"/> when the
    /// ancestors do not end with the parent.</summary>
    [SiloOnly]
    Task<OrganizationAdoption> AttachToParentAsync(string parentId, IReadOnlyList<string> ancestors);

    /// <summary>Called by the parent when the parent's own ancestry changed (the parent, or an organization
    /// above it, moved): records <paramref name="ancestors"/> (root first, ending with the parent) and passes
    /// the change down to the child organizations. Ignored when the last ancestor is not this organization's
    /// parent (a late call from a former parent). Tree changes are rare, so the path is pushed down once per
    /// change and never looked up by walking the tree.</summary>
    [SiloOnly]
    Task SetAncestorsAsync(IReadOnlyList<string> ancestors);

    /// <summary>This organization's path in the containment tree: its ancestors, root first, then its own id.
    /// A twin asks its organization for it to match an avatar's scopes against every organization that
    /// contains the twin (one call, no walk up the tree).</summary>
    [ClientRight(Right.Read, TargetKind.Organization)]
    [ReadOnly]
    Task<IReadOnlyList<string>> GetPathAsync();

    /// <summary>Called by the parent when it lets this organization go: this organization becomes a root, and its
    /// child organizations learn their shorter ancestry.</summary>
    [SiloOnly]
    Task DetachFromParentAsync(string parentId);

    /// <summary>The live aggregate over every machine below the organization.</summary>
    [ClientRight(Right.Read, TargetKind.Organization)]
    [ReadOnly]
    Task<OrganizationAggregate> GetAggregateAsync();

    /// <summary>Registers <paramref name="observer"/> for the organization's new aggregates, or renews it (dropped
    /// when not renewed within <see cref="WatchLimits.Expiry"/>). Returns the feed's position and the aggregate as of it.</summary>
    [ClientRight(Right.Read, TargetKind.Organization)]
    Task<OrganizationWatch> WatchAsync(IOrganizationObserver observer);

    /// <summary>Removes a watcher; nothing when it was not registered.</summary>
    [ClientRight(Right.Read, TargetKind.Organization)]
    Task UnwatchAsync(IOrganizationObserver observer);

    /// <summary>Adds a member or changes the member's role.</summary>
    [ClientRight(Right.Organizations, TargetKind.Organization)]
    Task SetMemberAsync(string memberId, OrganizationRole role);

    /// <summary>Removes a member; false when it was not a member.</summary>
    [ClientRight(Right.Organizations, TargetKind.Organization)]
    Task<bool> RemoveMemberAsync(string memberId);

    /// <summary>The members, ordered by id.</summary>
    [ClientRight(Right.Read, TargetKind.Organization)]
    [ReadOnly]
    Task<IReadOnlyList<OrganizationMember>> GetMembersAsync();
}
