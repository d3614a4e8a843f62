using Imv.Grains.Interfaces.Organizations;

namespace Imv.Client.Access;

/// <summary>One organization of a tree with its aggregate and its children (organizations, then machine ids).</summary>
/// <param name="Info">The organization.</param>
/// <param name="Aggregate">Its live aggregate.</param>
/// <param name="Children">Its child organizations.</param>
public sealed record OrganizationNode(OrganizationInfo Info, OrganizationAggregate Aggregate, IReadOnlyList<OrganizationNode> Children);
