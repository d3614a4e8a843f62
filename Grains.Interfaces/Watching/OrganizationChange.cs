using Imv.Grains.Interfaces.Organizations;
using Orleans;

namespace Imv.Grains.Interfaces.Watching;

/// <summary>An organization's new aggregate.</summary>
/// <param name="OrganizationId">The organization.</param>
/// <param name="Position">The change's place in the organization's feed.</param>
/// <param name="Aggregate">The aggregate after the change.</param>
[GenerateSerializer, Immutable]
public sealed record OrganizationChange(
    [property: Id(0)] string OrganizationId,
    [property: Id(1)] WatchPosition Position,
    [property: Id(2)] OrganizationAggregate Aggregate);

/// <summary>The answer to a watch of an organization (or its renewal).</summary>
/// <param name="Position">The last change published before <paramref name="Aggregate"/>.</param>
/// <param name="Aggregate">The aggregate now.</param>
[GenerateSerializer, Immutable]
public sealed record OrganizationWatch([property: Id(0)] WatchPosition Position, [property: Id(1)] OrganizationAggregate Aggregate);
