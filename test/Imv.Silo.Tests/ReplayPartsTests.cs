using Imv.Grains.Interfaces.Replay;
using Microsoft.Extensions.DependencyInjection;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Replay;

namespace Imv.Silo.Tests;

/// <summary>The replay's parts alone: the period figures, and a sandbox grid (a real Orleans silo in this process).</summary>
public sealed class ReplayPartsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static TagUpdate Reading(string tag, double value, int second) => new(tag, TagValue.FromDouble(value), TagQuality.Good, T0.AddSeconds(second), second);

    [Fact]
    public void Figures_count_alarms_with_the_deadband_time_outside_the_band_and_run_time()
    {
        var status = new StatusMapping(RunningTag: "running", TotalCountTag: "total", GoodCountTag: "good", IdealCycleTime: TimeSpan.FromSeconds(1));
        var a = new PeriodAccumulator(T0, [new AlarmBand("t", High: 100, Deadband: 5)], status);
        a.Add(T0, [Reading("t", 90, 0), Reading("running", 1, 0), Reading("total", 10, 0), Reading("good", 10, 0)]);
        a.Add(T0.AddSeconds(10), [Reading("t", 101, 10)]);                 // raised, outside from 10 s
        a.Add(T0.AddSeconds(20), [Reading("t", 97, 20)]);                  // inside the band, the alarm holds (deadband)
        a.Add(T0.AddSeconds(30), [Reading("t", 102, 30)]);                 // outside again, not raised again
        a.Add(T0.AddSeconds(40), [Reading("t", 90, 40), Reading("running", 0, 40), Reading("total", 50, 40), Reading("good", 45, 40)]);
        a.Add(T0.AddSeconds(50), [Reading("t", 120, 50)]);                 // raised again until the end (60 s)
        a.Command("c1", CommandDeliveryStatus.Issued);
        a.Command("c1", CommandDeliveryStatus.Rejected);
        a.Command("c2", CommandDeliveryStatus.Applied);
        var f = a.Figures("m", T0.AddSeconds(60));
        Assert.Equal(2, f.AlarmsRaised);
        Assert.Equal(10 + 10 + 10, f.SecondsOutsideBand);
        Assert.Equal(40, f.RunSeconds);
        Assert.Equal(40, f.TotalCount);
        Assert.Equal(35, f.GoodCount);
        Assert.Equal(2, f.CommandsIssued);
        Assert.Equal(1, f.CommandsRejected);
        // Availability 40/60, performance 40 parts x 1 s / 40 s, quality 35/40.
        Assert.Equal(40.0 / 60 * 1 * 35 / 40, f.Oee, 6);
    }

    [Fact]
    public async Task The_sandbox_storage_keeps_a_state_by_reference_and_refuses_a_stale_etag()
    {
        var storage = new SandboxGrainStorage();
        var grain = Orleans.Runtime.GrainId.Create("machine", "m");
        var written = new Orleans.GrainState<List<int>>([1, 2]);
        await storage.WriteStateAsync("machine", grain, written);
        Assert.True(written.RecordExists);
        var read = new Orleans.GrainState<List<int>>([]);
        await storage.ReadStateAsync("machine", grain, read);
        Assert.Same(written.State, read.State);
        Assert.Equal(written.ETag, read.ETag);
        await storage.WriteStateAsync("machine", grain, read);
        // The first holder's ETag is now stale: refused as a durable storage would.
        await Assert.ThrowsAsync<Orleans.Storage.InconsistentStateException>(() => storage.WriteStateAsync("machine", grain, written));
        await storage.ClearStateAsync("machine", grain, read);
        var empty = new Orleans.GrainState<List<int>>([]);
        await storage.ReadStateAsync("machine", grain, empty);
        Assert.False(empty.RecordExists);
        Assert.Empty(empty.State!);
    }

    [Fact]
    public async Task A_sandbox_has_no_gateway_so_a_command_is_applied_to_its_twin_and_recorded_never_sent()
    {
        var config = new TwinConfiguration(Coupling: CouplingMode.NoLinks, Tags: [new TagMetadata("sp", TagDataType.Double, Writable: true)], ControlLoops: ["loop.a"]);
        var plan = new ReplayPlan(T0, T0.AddMinutes(1), null, "twins", [new ReplayTwin("m", null, config, config)], [], new ReplayChanges());
        var outputs = new SandboxOutputs(plan);
        await using var sandbox = await SandboxGrid.StartAsync("parts-test", outputs, CancellationToken.None);
        Assert.Equal("replay-parts-test", sandbox.ClusterId);
        Assert.Null(sandbox.Services.GetService<IPlantGatewayRegistry>());
        var twin = sandbox.Grains.GetGrain<IMachineGrain>("m");
        await ReplayClock.AtAsync(T0, () => twin.ConfigureAsync(config));
        var record = await ReplayClock.AtAsync(T0.AddSeconds(5), () =>
            twin.SubmitCommandAsync(new CommandRequest("c1", IssuerKind.ControlLoop, "loop.a", "sp", null, TagValue.FromDouble(42))));
        Assert.Equal(CommandDeliveryStatus.Applied, record.Status);
        // The sandbox clock: the command happened at the recorded instant it carried, not now.
        Assert.Equal(T0.AddSeconds(5), record.Transitions[^1].At);
        var tag = await ReplayClock.AtAsync(T0.AddSeconds(6), () => twin.GetTagAsync("sp"));
        Assert.Equal(42, tag!.Value.AsDouble());
        var figures = outputs.Figures("m", T0.AddMinutes(1));
        Assert.Equal(1, figures.CommandsIssued);
        Assert.Equal(1, figures.Readings);
        Assert.Equal(2, outputs.Commands("m").Transitions);
    }
}
