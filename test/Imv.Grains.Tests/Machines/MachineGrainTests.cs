using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Xunit;

namespace Imv.Grains.Tests.Machines;

public class MachineGrainTests
{
    private static TagUpdate U(Grid g, string tag, double v, long seq, double secondsAgo = 0, TagQuality q = TagQuality.Good) =>
        new(tag, TagValue.FromDouble(v), q, g.Clock.Now.AddSeconds(-secondsAgo), seq);

    private static TwinConfiguration Config() => new(
        Kind: TwinKind.Equipment,
        OrganizationId: "line-1",
        Tags: [new TagMetadata("temp", TagDataType.Double, "degC", ExpectedPeriod: TimeSpan.FromSeconds(5)),
               new TagMetadata("sp", TagDataType.Double, "degC", Writable: true, Minimum: 0, Maximum: 100)],
        AlarmBands: [new AlarmBand("temp", Low: 10, High: 80, HighHigh: 95, Deadband: 2)],
        Status: new StatusMapping(RunningTag: "running"));

    [Fact]
    public async Task Ingest_keeps_the_newest_counts_the_rest_and_reports_staleness_and_quality()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("press-1");
        await twin.ConfigureAsync(Config());
        var r = await twin.IngestAsync(new TagBatch([U(g, "temp", 20, 2), U(g, "temp", 19, 1, secondsAgo: 1), U(g, "temp", 20, 2), U(g, "rpm", 1500, 1)]));
        Assert.Equal(new IngestResult(2, 1, 1, 0), r);
        Assert.Equal(new IngestResult(0, 0, 1, 0), await twin.IngestAsync(new TagBatch([U(g, "temp", 20, 2)])));
        g.Clock.Advance(TimeSpan.FromSeconds(3));
        var snap = await twin.GetSnapshotAsync();
        Assert.Equal(TimeSpan.FromSeconds(3), snap.Staleness);
        Assert.Equal(2, snap.AppliedCount);
        Assert.Equal(2, snap.DuplicateCount);
        Assert.Equal(1, snap.StaleCount);
        var temp = snap.Tags.Single(t => t.Name == "temp");
        Assert.Equal(20.0, temp.Value.AsDouble());
        Assert.Equal(TagQuality.Good, temp.Quality);
        Assert.Equal(TimeSpan.FromSeconds(3), temp.Staleness);
        Assert.Equal(TagDataType.Double, snap.Tags.Single(t => t.Name == "rpm").Value.DataType);
        g.Clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(TagQuality.Uncertain, (await twin.GetTagAsync("temp"))!.Quality);
        Assert.Null(await twin.GetTagAsync("nope"));
        await twin.SetConnectivityAsync(TwinConnectivity.Reconnecting, "broker lost");
        Assert.Equal(TagQuality.Uncertain, (await twin.GetTagAsync("rpm"))!.Quality);
        await twin.IngestAsync(new TagBatch([U(g, "rpm", 1400, 2)]));
        Assert.Equal(TagQuality.Good, (await twin.GetTagAsync("rpm"))!.Quality);
        Assert.Equal(TwinConnectivity.Online, (await twin.GetSnapshotAsync()).Connectivity);
        await twin.SetConnectivityAsync(TwinConnectivity.Offline, "death certificate");
        snap = await twin.GetSnapshotAsync();
        Assert.All(snap.Tags, t => Assert.Equal(TagQuality.Bad, t.Quality));
        Assert.Equal(MachineRunState.Offline, snap.Status.State);
    }

    [Fact]
    public async Task Readings_of_several_instants_in_one_call_are_applied_each_at_its_own_instant()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("oven-timed");
        await twin.ConfigureAsync(Config());
        var t0 = g.Clock.Now;
        TagUpdate At(string tag, TagValue v, double second, long seq) => new(tag, v, TagQuality.Good, t0.AddSeconds(second), seq);
        var r = await twin.IngestTimedAsync(new TimedBatch(
        [
            new TimedReadings(t0, [At("temp", TagValue.FromDouble(20), 0, 1), At("running", TagValue.FromBoolean(true), 0, 1)]),
            new TimedReadings(t0.AddSeconds(10), [At("temp", TagValue.FromDouble(85), 10, 2)]),
            new TimedReadings(t0.AddSeconds(30), [At("temp", TagValue.FromDouble(50), 30, 3), At("running", TagValue.FromBoolean(false), 30, 2), At("temp", TagValue.FromDouble(60), 5, 1)]),
        ]));
        Assert.Equal(new IngestResult(5, 1, 0, 0), r);
        Assert.Equal(50.0, (await twin.GetTagAsync("temp"))!.Value.AsDouble());
        // Ran from the first entry's instant to the third's: each entry was observed at its own instant, not the call's.
        g.Clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(TimeSpan.FromSeconds(30), (await twin.GetStatusAsync()).RunTime);
        var alarms = await twin.GetAlarmHistoryAsync();
        Assert.Contains(alarms, a => a.Raised && a.Level == AlarmLevel.High && a.Timestamp == t0.AddSeconds(10));
        Assert.Contains(alarms, a => !a.Raised && a.Level == AlarmLevel.High && a.Timestamp == t0.AddSeconds(30));
        Assert.Equal(default, await twin.IngestTimedAsync(new TimedBatch([])));
    }

    [Fact]
    public async Task A_seeded_twin_holds_the_recorded_state_and_its_alarm_without_a_reading_or_an_alarm_event()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("oven-seeded");
        await twin.ConfigureAsync(Config() with { Coupling = CouplingMode.NoLinks, OrganizationId = null });
        var t0 = g.Clock.Now;
        var seed = new TwinSeed(t0,
        [
            new SeededTag(new TagUpdate("temp", TagValue.FromDouble(90), TagQuality.Good, t0.AddSeconds(-20), 7), t0.AddSeconds(-19)),
            new SeededTag(new TagUpdate("running", TagValue.FromBoolean(true), TagQuality.Uncertain, t0.AddSeconds(-300), 3), t0.AddSeconds(-299)),
            new SeededTag(new TagUpdate("sp", TagValue.FromInteger(70), TagQuality.Good, t0.AddSeconds(-600), 1), t0.AddSeconds(-600)),
        ]);
        Assert.Equal(3, await twin.SeedAsync(seed));
        var snap = await twin.GetSnapshotAsync();
        var temp = snap.Tags.Single(t => t.Name == "temp");
        Assert.Equal(90.0, temp.Value.AsDouble());
        Assert.Equal(t0.AddSeconds(-20), temp.SourceTimestamp);
        Assert.Equal(t0.AddSeconds(-19), temp.ReceivedTimestamp);
        Assert.Equal(7, temp.Sequence);
        Assert.Equal(AlarmLevel.High, temp.Alarm);
        Assert.Equal(TagQuality.Uncertain, snap.Tags.Single(t => t.Name == "running").Quality);
        Assert.Equal(70.0, snap.Tags.Single(t => t.Name == "sp").Value.AsDouble());   // an integer taken by a double tag
        // Not a reading: nothing counted, no alarm event; the alarm is active from the reading that holds it.
        Assert.Equal(0, snap.AppliedCount);
        Assert.Empty(await twin.GetAlarmHistoryAsync());
        var active = Assert.Single(await twin.GetActiveAlarmsAsync());
        Assert.Equal((AlarmLevel.High, t0.AddSeconds(-20), 90.0), (active.Level, active.RaisedAt, active.Value));
        // The status window starts at the seed: running since then.
        g.Clock.Advance(TimeSpan.FromSeconds(10));
        var status = await twin.GetStatusAsync();
        Assert.Equal(TimeSpan.FromSeconds(10), status.RunTime);
        Assert.Equal(TimeSpan.FromSeconds(10), status.PlannedTime);
        // A reading older than the seeded one is stale, as it would have been for the original twin; a newer one clears the alarm.
        Assert.Equal(new IngestResult(0, 1, 0, 0), await twin.IngestAsync(new TagBatch([new TagUpdate("temp", TagValue.FromDouble(20), TagQuality.Good, t0.AddSeconds(-30), 6)])));
        await twin.IngestAsync(new TagBatch([new TagUpdate("temp", TagValue.FromDouble(50), TagQuality.Good, g.Clock.Now, 8)]));
        Assert.Equal([(AlarmLevel.High, false)], (await twin.GetAlarmHistoryAsync()).Select(e => (e.Level, e.Raised)));
        // Seeded once, before any reading; a twin coupled to a machine never.
        await Assert.ThrowsAsync<InvalidOperationException>(() => twin.SeedAsync(seed));
        var live = g.Factory.GetGrain<IMachineGrain>("oven-live");
        await live.ConfigureAsync(Config());
        await Assert.ThrowsAsync<InvalidOperationException>(() => live.SeedAsync(seed));
        Assert.DoesNotContain((await live.GetSnapshotAsync()).Tags, t => t.ReceivedTimestamp.UtcTicks != 0);
    }

    [Fact]
    public async Task Alarms_are_events_and_an_active_list_and_reach_the_organization()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("oven-1");
        await twin.ConfigureAsync(Config());
        await twin.IngestAsync(new TagBatch([U(g, "temp", 50, 1), new TagUpdate("running", TagValue.FromBoolean(true), TagQuality.Good, g.Clock.Now, 1)]));
        await twin.IngestAsync(new TagBatch([U(g, "temp", 96, 2)]));
        var active = Assert.Single(await twin.GetActiveAlarmsAsync());
        Assert.Equal(AlarmLevel.HighHigh, active.Level);
        Assert.Equal(MachineRunState.Faulted, (await twin.GetStatusAsync()).State);
        await twin.IngestAsync(new TagBatch([U(g, "temp", 79, 3)]));   // below HH - db, above H - db: High
        await twin.IngestAsync(new TagBatch([U(g, "temp", 50, 4)]));
        Assert.Empty(await twin.GetActiveAlarmsAsync());
        var history = await twin.GetAlarmHistoryAsync();
        Assert.Equal([(AlarmLevel.HighHigh, true), (AlarmLevel.HighHigh, false), (AlarmLevel.High, true), (AlarmLevel.High, false)],
            history.Select(e => (e.Level, e.Raised)));
        Assert.All(history, e => Assert.Equal("oven-1", e.TwinId));
        var pushed = g.Publisher.Pushed.ToArray();
        Assert.Contains(pushed, p => p.Org == "line-1" && p.Status.State == MachineRunState.Faulted && p.Status.ActiveAlarms == 1);
        Assert.Equal(MachineRunState.Running, pushed[^1].Status.State);
    }

    [Fact]
    public async Task The_twin_reports_its_status_to_its_organization()
    {
        await using var g = await Grid.StartAsync(recordStatus: false);
        var line = g.Factory.GetGrain<Imv.Grains.Interfaces.Organizations.IVirtualOrganizationGrain>("line-1");
        await line.InitializeAsync(Imv.Grains.Interfaces.Organizations.OrganizationKind.Line, "Line 1");
        var twin = g.Factory.GetGrain<IMachineGrain>("cnc-1");
        await twin.ConfigureAsync(Config());
        await twin.IngestAsync(new TagBatch([new TagUpdate("running", TagValue.FromBoolean(true), TagQuality.Good, g.Clock.Now, 1), U(g, "temp", 50, 1)]));
        var aggregate = await line.GetAggregateAsync();
        Assert.Equal((1L, 1L, 0L), (aggregate.MachineCount, aggregate.Running, aggregate.ActiveAlarms));
        g.Clock.Advance(TimeSpan.FromSeconds(1));
        await twin.IngestAsync(new TagBatch([U(g, "temp", 99, 2)]));
        aggregate = await line.GetAggregateAsync();
        Assert.Equal((1L, 0L, 1L, 1L), (aggregate.MachineCount, aggregate.Running, aggregate.Faulted, aggregate.ActiveAlarms));
    }

    [Fact]
    public async Task Shadow_reports_desired_and_delta_with_a_version()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("mixer-1");
        await twin.ConfigureAsync(Config());
        await twin.IngestAsync(new TagBatch([U(g, "sp", 40, 1)]));
        var v0 = (await twin.GetShadowAsync()).Version;
        var r = await twin.SetDesiredAsync(new DesiredUpdate(new Dictionary<string, TagValue> { ["sp"] = TagValue.FromDouble(45) }, v0));
        Assert.False(r.Conflict);
        Assert.Equal(v0 + 1, r.Shadow.Version);
        Assert.Equal(TagValue.FromDouble(45), r.Shadow.Delta["sp"]);
        Assert.True((await twin.SetDesiredAsync(new DesiredUpdate(new Dictionary<string, TagValue> { ["sp"] = TagValue.FromDouble(46) }, v0))).Conflict);
        await twin.IngestAsync(new TagBatch([U(g, "sp", 45, 2)]));
        var shadow = await twin.GetShadowAsync();
        Assert.Empty(shadow.Delta);
        Assert.Equal(TagValue.FromDouble(45), shadow.Reported["sp"]);
        Assert.True(shadow.Version > v0 + 1);
    }

    [Fact]
    public async Task A_crash_loses_no_acknowledged_update()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("crash-1");
        await twin.ConfigureAsync(Config());
        await twin.DescribeAsync(new TwinDescription("crash-1", "gw1", [new TagMetadata("mode", TagDataType.String, Writable: true)]));
        for (int i = 1; i <= 20; i++) await twin.IngestAsync(new TagBatch([U(g, "temp", 60 + i, i)]));
        await twin.SetDesiredAsync(new DesiredUpdate(new Dictionary<string, TagValue> { ["mode"] = TagValue.FromString("auto") }));
        var before = await twin.GetSnapshotAsync();
        await g.KillOwnerOfAsync(twin);
        var after = await twin.GetSnapshotAsync();
        Assert.Equal(before.AppliedCount, after.AppliedCount);
        Assert.Equal(before.Tags.Select(t => (t.Name, t.Value, t.Sequence)), after.Tags.Select(t => (t.Name, t.Value, t.Sequence)));
        Assert.Equal(AlarmLevel.High, Assert.Single(await twin.GetActiveAlarmsAsync()).Level);
        Assert.Equal(TagValue.FromString("auto"), (await twin.GetShadowAsync()).Desired["mode"]);
        var config = await twin.GetConfigurationAsync();
        Assert.Equal("gw1", config!.Gateway);
        Assert.Contains(config.Tags!, t => t.Name == "mode" && t.Writable);
        // After the restart, an older reading still does not overwrite.
        Assert.Equal(1, (await twin.IngestAsync(new TagBatch([U(g, "temp", 1, 5)]))).Stale);
    }
}
