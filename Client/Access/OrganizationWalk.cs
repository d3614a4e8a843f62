using Imv.Grains.Interfaces.Organizations;

namespace Imv.Client.Access;

/// <summary>Walks the organization tree level by level (one parallel round of calls per level).</summary>
internal static class OrganizationWalk
{
    /// <summary>Whether an organization exists: initialized, or part of a tree.</summary>
    public static bool Exists(OrganizationInfo info) =>
        info.Initialized || info.ParentId is not null || info.ChildOrganizations.Count > 0 || info.Machines.Count > 0;

    /// <summary>Every organization below <paramref name="rootId"/> (itself included) by id, and every machine attached in the subtree.</summary>
    public static async Task<(Dictionary<string, OrganizationInfo> Organizations, HashSet<string> Machines)> DescendantsAsync(IGrainFactory grains, string rootId, CancellationToken cancellationToken)
    {
        var orgs = new Dictionary<string, OrganizationInfo>(StringComparer.Ordinal);
        var machines = new HashSet<string>(StringComparer.Ordinal);
        var root = await grains.GetGrain<IVirtualOrganizationGrain>(rootId).GetInfoAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!Exists(root)) return (orgs, machines);
        orgs[rootId] = root;
        var level = new List<OrganizationInfo> { root };
        while (level.Count > 0)
        {
            foreach (var info in level) machines.UnionWith(info.Machines);
            var next = level.SelectMany(i => i.ChildOrganizations).Where(c => !orgs.ContainsKey(c)).Distinct(StringComparer.Ordinal).ToList();
            var infos = await Task.WhenAll(next.Select(c => grains.GetGrain<IVirtualOrganizationGrain>(c).GetInfoAsync())).WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var i in infos) orgs[i.Id] = i;
            level = [.. infos];
        }
        return (orgs, machines);
    }
}
