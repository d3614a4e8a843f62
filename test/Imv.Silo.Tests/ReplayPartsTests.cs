using Imv.Grains.Interfaces.Replay;
using Microsoft.Extensions.DependencyInjection;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Imv.Persistence.Sqlite.Recording;
using Imv.Silo.Replay;
using Microsoft.Extensions.Logging.Abstractions;

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
    public async Task Twins_start_from_their_recorded_state_so_an_alarm_active_before_the_start_is_active_not_raised()
    {
        // Recent (the recording's retention keeps a week), whole seconds.
        var t0 = new DateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1).UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
        TagUpdate At(string tag, double value, int second) => new(tag, TagValue.FromDouble(value), TagQuality.Good, t0.AddSeconds(second), second);
        var dir = System.IO.Directory.CreateTempSubdirectory("imv-seed-test-");
        try
        {
            var config = new TwinConfiguration(Tags: [new TagMetadata("temp", TagDataType.Double), new TagMetadata("running", TagDataType.Double)],
                AlarmBands: [new AlarmBand("temp", High: 100, Deadband: 1)], Status: new StatusMapping(RunningTag: "running"));
            var sandboxConfig = config with { Coupling = CouplingMode.NoLinks };
            await using var recorder = new SqliteTwinRecorder(new RecordingOptions { Path = Path.Combine(dir.FullName, "plant.recording.db") }, NullLogger<SqliteTwinRecorder>.Instance);
            // "hot" read 120 degC (above its band) and runs before the range, and reports nothing in it; "busy" was fine
            // before the range and goes above the band in it.
            recorder.RecordReadings("hot", t0.AddSeconds(5), [At("temp", 95, 5), At("running", 1, 5)], default);
            recorder.RecordReadings("hot", t0.AddSeconds(10), [At("temp", 120, 10)], default);
            recorder.RecordReadings("busy", t0.AddSeconds(20), [At("temp", 50, 20)], default);
            recorder.RecordReadings("busy", t0.AddSeconds(70), [At("temp", 60, 70)], default);
            recorder.RecordReadings("busy", t0.AddSeconds(80), [At("temp", 130, 80)], default);
            await recorder.FlushAsync();
            var recording = new RecordingFile(recorder.FilePath);
            var plan = new ReplayPlan(t0.AddSeconds(60), t0.AddSeconds(120), null, "twins",
                [new ReplayTwin("busy", "line", config, sandboxConfig), new ReplayTwin("hot", "line", config, sandboxConfig)], [], new ReplayChanges());

            async Task<ReplayRun> RunAsync(ReplayPlan p, SqliteTwinRecorder? history)
            {
                var run = new ReplayRun("seed-test", p, "test", NullLogger.Instance, history);
                await run.RunAsync(recording);
                Assert.True(run.State == Imv.Grains.Interfaces.Replay.ReplayState.Completed, run.Error);
                return run;
            }

            var first = await RunAsync(plan, recorder);
            var report = first.Report!;
            var hot = report.Twins.Single(t => t.TwinId == "hot");
            // The sandbox twin started at 120 degC in alarm, and ended so (nothing in the range changed it): not raised by the
            // replay, nor counted as raised on the original side; outside the band and running for the whole range on both.
            Assert.Equal(new AlarmView("temp", AlarmLevel.High, 120), Assert.Single(hot.Seeded!.Alarms));
            Assert.Equal(2, hot.Seeded.Tags);
            Assert.Equal(new AlarmView("temp", AlarmLevel.High, 120), Assert.Single(hot.Final!.Alarms));
            Assert.Equal(2, hot.Final.Tags);
            Assert.Equal((0, 0, 0L), (hot.Original.AlarmsRaised, hot.Replay.AlarmsRaised, hot.Replay.Readings));
            Assert.Equal((60.0, 60.0), (hot.Original.SecondsOutsideBand, hot.Replay.SecondsOutsideBand));
            Assert.Equal((60.0, 60.0), (hot.Original.RunSeconds, hot.Replay.RunSeconds));
            var busy = report.Twins.Single(t => t.TwinId == "busy");
            Assert.Empty(busy.Seeded!.Alarms);
            Assert.Equal((1, 1), (busy.Original.AlarmsRaised, busy.Replay.AlarmsRaised));
            Assert.Equal((2, 3, 1), (report.Seed.Twins, report.Seed.Tags, report.Seed.Alarms));
            Assert.Contains("Seeded 2 of 2 twins", report.ToTable(), StringComparison.Ordinal);

            // Deterministic with the seeds, and the seeds are part of the hash (the same range started empty hashes otherwise).
            Assert.Equal(first.Hash, (await RunAsync(plan, recorder)).Hash);
            var cold = await RunAsync(plan, null);
            Assert.NotEqual(first.Hash, cold.Hash);
            Assert.Equal(0, cold.Seed!.Twins);

            // A range starting before anything was recorded seeds nothing, and says so.
            var early = await RunAsync(plan with { From = t0.AddSeconds(-60) }, recorder);
            Assert.Equal(0, early.Seed!.Twins);
            Assert.Contains("Nothing was recorded before", early.Seed.Note, StringComparison.Ordinal);
            Assert.All(early.Report!.Twins, t => Assert.Null(t.Seeded));
            Assert.Equal(1, early.Report.Twins.Single(t => t.TwinId == "hot").Replay.AlarmsRaised);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { }
        }
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
    public async Task A_sandbox_start_cancelled_at_any_point_ends_as_a_cancellation()
    {
        // A replay stopped (Ctrl+C) while its sandbox starts must end Stopped, not Failed: whatever stage Orleans' start
        // is in when the token fires, the start ends in an OperationCanceledException (or completes first).
        var plan = new ReplayPlan(T0, T0.AddMinutes(1), null, "twins", [], [], new ReplayChanges());
        foreach (int delayMs in Enumerable.Range(0, 25).Select(i => i * 12))
        {
            using var stop = new CancellationTokenSource();
            var starting = SandboxGrid.StartAsync($"cancel-{delayMs}", new SandboxOutputs(plan), stop.Token);
            if (delayMs == 0) stop.Cancel(); else stop.CancelAfter(delayMs);
            try { await (await starting).DisposeAsync(); }
            catch (OperationCanceledException) { }
        }
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
