using Imv.Grains.Interfaces.Organizations;
using Orleans;

namespace Imv.Gateways.Simulation;

/// <summary>Builds the virtual organizations of a simulated plant.</summary>
public static class SimulatedTopologyOrganizations
{
    /// <summary>Creates (idempotently) the tree: an enterprise <paramref name="enterpriseId"/> holding one
    /// factory per site, one line per line, and every machine attached to its line (counted as Unknown until
    /// its twin reports). Organization ids are the topology's ids (<c>site-1</c>, <c>site-1.line-03</c>).</summary>
    public static async Task BuildOrganizationsAsync(this SimulatedTopology topology, IGrainFactory factory, string enterpriseId = "enterprise", string enterpriseName = "Simulated enterprise")
    {
        ArgumentNullException.ThrowIfNull(topology);
        ArgumentNullException.ThrowIfNull(factory);
        var enterprise = factory.GetGrain<IVirtualOrganizationGrain>(enterpriseId);
        await enterprise.InitializeAsync(OrganizationKind.Enterprise, enterpriseName).ConfigureAwait(false);
        await Task.WhenAll(topology.Sites.Select(async site =>
        {
            var siteGrain = factory.GetGrain<IVirtualOrganizationGrain>(site.Id);
            await siteGrain.InitializeAsync(OrganizationKind.Factory, site.Name).ConfigureAwait(false);
            foreach (var line in site.Lines)
            {
                var lineGrain = factory.GetGrain<IVirtualOrganizationGrain>(line.Id);
                await lineGrain.InitializeAsync(OrganizationKind.Line, line.Name).ConfigureAwait(false);
                foreach (var machine in line.Machines) await lineGrain.AttachMachineAsync(machine).ConfigureAwait(false);
                await siteGrain.AddChildOrganizationAsync(line.Id).ConfigureAwait(false);
            }
            await enterprise.AddChildOrganizationAsync(site.Id).ConfigureAwait(false);
        })).ConfigureAwait(false);
    }
}
