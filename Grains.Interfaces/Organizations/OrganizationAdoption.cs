using Orleans;

namespace Imv.Grains.Interfaces.Organizations;

/// <summary>What a child organization tells the parent that adopts it.</summary>
/// <param name="Kind">The child's level.</param>
/// <param name="Aggregate">The child's aggregate at the moment of adoption.</param>
/// <param name="Version">The version of that aggregate (see <see cref="IVirtualOrganizationGrain.ReportChildAggregateAsync"/>).</param>
[GenerateSerializer]
public sealed record OrganizationAdoption(
    [property: Id(0)] OrganizationKind Kind,
    [property: Id(1)] OrganizationAggregate Aggregate,
    [property: Id(2)] long Version);
