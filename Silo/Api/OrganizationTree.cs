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

    /// <summary>Whether an organization exists: initialized, or part of a tree.</summary>
    public static bool Exists(OrganizationInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        return info.Initialized || info.ParentId is not null || info.ChildOrganizations.Count > 0 || info.Machines.Count > 0;
    }
}
