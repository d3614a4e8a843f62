using Imv.Gateways.Simulation;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Xunit;

namespace Imv.Grains.Tests.Simulation;

public sealed class SimulatedOrganizationsTests
{
    [Fact]
    public async Task The_default_1000_machine_topology_becomes_an_organization_tree_whose_aggregates_follow_reports()
    {
        await using var cluster = await GrainsTestCluster.StartAsync();
        var f = cluster.GrainFactory;
        var topology = SimulatedTopology.From(new SimulatorOptions());
        await topology.BuildOrganizationsAsync(f, "acme");
        await topology.BuildOrganizationsAsync(f, "acme"); // idempotent

        var enterprise = f.GetGrain<IVirtualOrganizationGrain>("acme");
        var total = await enterprise.GetAggregateAsync();
        Assert.Equal(1000, total.MachineCount);
        Assert.Equal(1000, total.Unknown);
        Assert.Equal(["site-1", "site-2"], (await enterprise.GetInfoAsync()).ChildOrganizations);
        Assert.Equal(500, (await f.GetGrain<IVirtualOrganizationGrain>("site-2").GetAggregateAsync()).MachineCount);

        var machine = "site-2.line-07.machine-042";
        Assert.Equal("site-2.line-07", topology.LineOf(machine));
        await f.GetGrain<IVirtualOrganizationGrain>(topology.LineOf(machine)!).ReportChildStatusAsync(machine,
            new MachineStatus(machine, MachineRunState.Faulted, 1, TimeSpan.FromHours(1), TimeSpan.FromMinutes(45), TimeSpan.FromSeconds(0.5), 5000, 4900, DateTimeOffset.UtcNow));
        total = await enterprise.GetAggregateAsync();
        Assert.Equal(1000, total.MachineCount);
        Assert.Equal(999, total.Unknown);
        Assert.Equal(1, total.Faulted);
        Assert.Equal(1, total.ActiveAlarms);
        Assert.Equal(0.75, total.Availability, 6);
    }
}
