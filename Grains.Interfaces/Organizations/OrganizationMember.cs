using Orleans;

namespace Imv.Grains.Interfaces.Organizations;

/// <summary>A member of a virtual organization.</summary>
/// <param name="MemberId">The member's id: an avatar's grain key or an identity.</param>
/// <param name="Role">The member's role.</param>
/// <param name="Since">When the member joined or last changed role (UTC).</param>
[GenerateSerializer]
public sealed record OrganizationMember(
    [property: Id(0)] string MemberId,
    [property: Id(1)] OrganizationRole Role,
    [property: Id(2)] DateTimeOffset Since);
