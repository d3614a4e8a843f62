using Imv.Gateways.Simulation;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;
using Imv.Grains.Organizations;
using Imv.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Imv.Grains.Tests.Simulation;

/// <summary>The simulator feeding machine twins through the sink interface, the twins reporting to their
/// lines, the lines to the site and the enterprise.</summary>
public sealed class SimulatedPlantToTwinsTests
{
    private sealed class TwinSink(IGrainFactory grains) : IPlantEventSink
    {
        public async ValueTask WriteTelemetryAsync(string twinId, ReadOnlyMemory<TagUpdate> updates, CancellationToken cancellationToken) =>
            await grains.GetGrain<IMachineGrain>(twinId).IngestAsync(new TagBatch(updates.ToArray()));

        public async ValueTask DescribeTwinAsync(TwinDescription description, CancellationToken cancellationToken) =>
            await grains.GetGrain<IMachineGrain>(description.TwinId).DescribeAsync(description);

        public async ValueTask SetTwinConnectivityAsync(string twinId, TwinConnectivity connectivity, string reason, CancellationToken cancellationToken) =>
            await grains.GetGrain<IMachineGrain>(twinId).SetConnectivityAsync(connectivity, reason);

        public async ValueTask ReportCommandOutcomeAsync(string twinId, string commandId, CommandDeliveryStatus status, string? reason, CancellationToken cancellationToken) =>
            await grains.GetGrain<IMachineGrain>(twinId).ReportCommandOutcomeAsync(commandId, status, reason);
    }

    private sealed class Registry(IPlantGateway gateway) : IPlantGatewayRegistry
    {
        public IPlantGateway? Find(string name) => name == gateway.Name ? gateway : null;
    }

    [Fact]
    public async Task Organization_aggregates_follow_the_simulated_plant_through_the_twins()
    {
        SimulatedPlant? plant = null;
        await using var cluster = await Grid.StartAsync(recordStatus: false, manualClock: false, configure: silo =>
        {
            silo.Services.AddSingleton<IMachineStatusPublisher, OrganizationStatusPublisher>();
            silo.Services.AddSingleton<IPlantGatewayRegistry>(_ => new Registry(plant!));
        });
        var f = cluster.GrainFactory;
        var options = new SimulatorOptions { Sites = 1, LinesPerSite = 2, MachinesPerLine = 4, FaultRate = 120, AutoResetAfter = TimeSpan.Zero, InitiallyRunning = 0.75, Seed = 3 };
        plant = new SimulatedPlant(options, new TwinSink(f), DateTimeOffset.UtcNow);
        await plant.Topology.BuildOrganizationsAsync(f, "sim-enterprise");
        foreach (var id in plant.Topology.MachineIds) await f.GetGrain<IMachineGrain>(id).ConfigureAsync(plant.TwinConfigurationFor(id));

        await plant.StartAsync();
        await plant.RunTicksAsync(120);

        var aggregate = await f.GetGrain<IVirtualOrganizationGrain>("sim-enterprise").GetAggregateAsync();
        Assert.Equal(8, aggregate.MachineCount);
        Assert.Equal(plant.Machines.Count(m => m.State == SimulatedMachineState.Running), aggregate.Running);
        Assert.Equal(plant.Machines.Count(m => m.State == SimulatedMachineState.Faulted), aggregate.Faulted);
        Assert.Equal(plant.Machines.Count(m => m.State == SimulatedMachineState.Idle), aggregate.Idle);
        Assert.True(aggregate.Faulted > 0, "some machine faulted");

        // A Reset sent to the plant (as a twin's command would be) clears the fault, and the line's aggregate follows.
        var faulted = plant.Machines.First(m => m.State == SimulatedMachineState.Faulted);
        var direct = await plant.SendAsync(new DeviceCommand("reset-1", faulted.Id, null, TagNames.MethodReset, TagValue.None, [], default), default);
        Assert.Equal(CommandDeliveryStatus.Delivered, direct.Status);
        await plant.StepAsync();
        var after = await f.GetGrain<IVirtualOrganizationGrain>(faulted.Line).GetAggregateAsync();
        Assert.Equal(plant.Machines.Count(m => m.Line == faulted.Line && m.State == SimulatedMachineState.Faulted), after.Faulted);
    }
}
