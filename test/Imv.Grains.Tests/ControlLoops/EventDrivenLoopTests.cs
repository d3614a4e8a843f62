using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;

namespace Imv.Grains.Tests.ControlLoops;

public class EventDrivenLoopTests
{
    [Fact]
    public async Task A_triggered_loop_commands_as_soon_as_its_twin_applies_a_new_measurement()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("oven-ev");
        await twin.ConfigureAsync(new TwinConfiguration(
            Tags: [new TagMetadata("temp", TagDataType.Double), new TagMetadata("heater", TagDataType.Double, "%", Writable: true, Minimum: 0, Maximum: 100)],
            ControlLoops: ["loop-ev"], TriggeredLoops: ["loop-ev"]));
        await twin.DescribeAsync(new TwinDescription("oven-ev", "gw1", []));
        var loop = g.Factory.GetGrain<IControlLoopGrain>("loop-ev");
        // A sample period of an hour: any command within the test comes from the trigger, not the timer.
        await loop.ConfigureAsync(new ControlLoopConfiguration("oven-ev", "temp", "oven-ev", "heater", 50, ControlLawKind.Pid,
            TimeSpan.FromHours(1), 0, 100, SafeOutput: 0, Pid: new PidParameters(Kp: 5)));
        await loop.EnableAsync();
        Assert.Empty(g.Gateway.Sent);

        await twin.IngestAsync(new TagBatch([new TagUpdate("temp", TagValue.FromDouble(44), TagQuality.Good, g.Clock.Now, 1)]));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (g.Gateway.Sent.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(10);
        var sent = Assert.Single(g.Gateway.Sent);
        Assert.Equal("heater", sent.Tag);
        Assert.Equal(TagValue.FromDouble(30), sent.Value); // 5 x (50 - 44)
    }

    [Fact]
    public async Task A_triggered_loop_whose_tag_is_not_in_the_readings_reads_it_from_its_twin()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("oven-ev2");
        await twin.ConfigureAsync(new TwinConfiguration(
            Tags: [new TagMetadata("temp", TagDataType.Double), new TagMetadata("door", TagDataType.Double),
                new TagMetadata("heater", TagDataType.Double, "%", Writable: true, Minimum: 0, Maximum: 100)],
            ControlLoops: ["loop-ev2"], TriggeredLoops: ["loop-ev2"]));
        await twin.DescribeAsync(new TwinDescription("oven-ev2", "gw1", []));
        // The measured value arrives before the loop is enabled: its trigger is ignored.
        await twin.IngestAsync(new TagBatch([new TagUpdate("temp", TagValue.FromDouble(47), TagQuality.Good, g.Clock.Now, 1)]));
        var loop = g.Factory.GetGrain<IControlLoopGrain>("loop-ev2");
        await loop.ConfigureAsync(new ControlLoopConfiguration("oven-ev2", "temp", "oven-ev2", "heater", 50, ControlLawKind.Pid,
            TimeSpan.FromHours(1), 0, 100, SafeOutput: 0, Pid: new PidParameters(Kp: 5)));
        await loop.EnableAsync();

        // A reading of another tag triggers the loop, which reads its own tag from the twin.
        await twin.IngestAsync(new TagBatch([new TagUpdate("door", TagValue.FromDouble(1), TagQuality.Good, g.Clock.Now, 2)]));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (g.Gateway.Sent.IsEmpty && DateTime.UtcNow < deadline) await Task.Delay(10);
        var sent = Assert.Single(g.Gateway.Sent);
        Assert.Equal(TagValue.FromDouble(15), sent.Value); // 5 x (50 - 47)
        var last = (await loop.GetStatusAsync()).History[^1];
        Assert.Equal(47, last.Measured);
    }
}
