using Imv.Grains.Interfaces.Organizations;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Organizations;

/// <summary>A child's last contribution to an organization's aggregate.</summary>
[GenerateSerializer]
public sealed class ChildContribution
{
    /// <summary>The child's last aggregate (for a machine: its one-machine contribution).</summary>
    [Id(0)] public OrganizationAggregate Aggregate { get; set; } = OrganizationAggregate.Empty;

    /// <summary>Orders reports: the child organization's version, or a machine status's ReportedAt ticks.
    /// <see cref="long.MinValue"/> before the first report.</summary>
    [Id(1)] public long Version { get; set; } = long.MinValue;
}

/// <summary>The persistent state of a virtual organization.</summary>
[GenerateSerializer]
public sealed class OrganizationState
{
    /// <summary>Whether the organization was initialized.</summary>
    [Id(0)] public bool Initialized { get; set; }

    /// <summary>Its level.</summary>
    [Id(1)] public OrganizationKind Kind { get; set; }

    /// <summary>Its display name.</summary>
    [Id(2)] public string Name { get; set; } = "";

    /// <summary>Its parent's id, or null.</summary>
    [Id(3)] public string? ParentId { get; set; }

    /// <summary>Child organizations and their last contributions.</summary>
    [Id(4)] public Dictionary<string, ChildContribution> Children { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Attached machines and their last contributions.</summary>
    [Id(5)] public Dictionary<string, ChildContribution> Machines { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The running total over all contributions.</summary>
    [Id(6)] public OrganizationAggregate Total { get; set; } = OrganizationAggregate.Empty;

    /// <summary>The version of the last aggregate pushed to the parent.</summary>
    [Id(7)] public long Version { get; set; }

    /// <summary>Members by id.</summary>
    [Id(8)] public Dictionary<string, OrganizationMember> Members { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The organizations containing this one, root first, ending with <see cref="ParentId"/>; empty for
    /// a root. Written with <see cref="ParentId"/> and pushed down by the parent whenever the tree above changes.</summary>
    [Id(9)] public List<string> Ancestors { get; set; } = [];
}
