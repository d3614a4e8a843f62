using Orleans;

namespace Imv.Grains.Interfaces.Organizations;

/// <summary>A virtual organization's place in the containment tree.</summary>
/// <param name="Id">The organization's id (grain key).</param>
/// <param name="Kind">Its level; <see cref="OrganizationKind.Enterprise"/> when never initialized.</param>
/// <param name="Name">Its display name.</param>
/// <param name="ParentId">The parent organization's id; null for a root.</param>
/// <param name="ChildOrganizations">The ids of its child organizations.</param>
/// <param name="Machines">The ids of the machine twins attached directly to it.</param>
/// <param name="Initialized">Whether <see cref="IVirtualOrganizationGrain.InitializeAsync"/> ran.</param>
/// <param name="Ancestors">The organizations containing this one, root first (empty for a root; null from
/// a version that did not report it).</param>
[GenerateSerializer]
public sealed record OrganizationInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] OrganizationKind Kind,
    [property: Id(2)] string Name,
    [property: Id(3)] string? ParentId,
    [property: Id(4)] IReadOnlyList<string> ChildOrganizations,
    [property: Id(5)] IReadOnlyList<string> Machines,
    [property: Id(6)] bool Initialized,
    [property: Id(7)] IReadOnlyList<string>? Ancestors = null);
