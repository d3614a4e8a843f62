using Imv.Grains.Interfaces.Organizations;

namespace Imv.Silo.Api;

/// <summary>Walks the organization tree below an organization.</summary>
public static class OrganizationTree
{
    /// <summary>The organization's id and every organization id below it, and every machine attached anywhere in
    /// that subtree; (null, empty) when the organization does not exist.</summary>
    public static async Task<(HashSet<string>? Organizations, HashSet<string> Machines)> DescendantsAsync(IGrainFactory grains, string organizationId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var machines = new HashSet<string>(StringComparer.Ordinal);
        var root = await grains.GetGrain<IVirtualOrganizationGrain>(organizationId).GetInfoAsync().ConfigureAwait(false);
        if (!Exists(root)) return (null, machines);
        var orgs = new HashSet<string>(StringComparer.Ordinal) { organizationId };
        var level = new List<OrganizationInfo> { root };
        while (level.Count > 0)
        {
            foreach (var info in level) machines.UnionWith(info.Machines);
            var next = level.SelectMany(i => i.ChildOrganizations).Where(orgs.Add).ToList();
            level = [.. await Task.WhenAll(next.Select(c => grains.GetGrain<IVirtualOrganizationGrain>(c).GetInfoAsync())).ConfigureAwait(false)];
        }
        return (orgs, machines);
    }

    /// <summary>The organization's id and every organization id below it, without their machines; null when the
    /// organization does not exist. One call per organization, level by level in parallel.</summary>
    public static async Task<HashSet<string>?> OrganizationsAsync(IGrainFactory grains, string organizationId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        if (string.IsNullOrEmpty(organizationId)) return null;
        var root = grains.GetGrain<IVirtualOrganizationGrain>(organizationId);
        if (!Exists(await root.GetInfoAsync().ConfigureAwait(false))) return null;
        var orgs = new HashSet<string>(StringComparer.Ordinal) { organizationId };
        var level = new List<string> { organizationId };
        while (level.Count > 0)
        {
            var children = await Task.WhenAll(level.Select(o => grains.GetGrain<IVirtualOrganizationGrain>(o).GetChildOrganizationsAsync())).ConfigureAwait(false);
            level = [.. children.SelectMany(c => c).Where(orgs.Add)];
        }
        return orgs;
    }

    /// <summary>Whether an organization exists: initialized, or part of a tree.</summary>
    public static bool Exists(OrganizationInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.Initialized || info.ParentId is not null || info.ChildOrganizations.Count > 0 || info.Machines.Count > 0;
    }
}
