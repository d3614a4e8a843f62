using Imv.Grains.ControlLoops;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Orleans;
using Xunit;

namespace Imv.Grains.Tests.ControlLoops;

public class ControlLoopGrainTests
{
    private static async Task<IMachineGrain> OvenAsync(Grid g, string id, params string[] loops)
    {
        var twin = g.Factory.GetGrain<IMachineGrain>(id);
        await twin.ConfigureAsync(new TwinConfiguration(
            Tags: [new TagMetadata("temp", TagDataType.Double), new TagMetadata("heater", TagDataType.Double, "%", Writable: true, Minimum: 0, Maximum: 100),
                   new TagMetadata("relay", TagDataType.Boolean, Writable: true)],
            ControlLoops: loops));
        await twin.DescribeAsync(new TwinDescription(id, "gw1", []));
        return twin;
    }

    private static Task Measure(Grid g, IMachineGrain twin, double v, long seq, TagQuality q = TagQuality.Good) =>
        twin.IngestAsync(new TagBatch([new TagUpdate("temp", TagValue.FromDouble(v), q, g.Clock.Now, seq)])).AsTask();

    private static ControlLoopConfiguration Pid(string twin) => new(twin, "temp", twin, "heater", 50, ControlLawKind.Pid,
        TimeSpan.FromSeconds(1), 0, 100, SafeOutput: 0, Pid: new PidParameters(Kp: 5));

    [Fact]
    public async Task A_pid_loop_commands_through_the_command_path_as_itself_and_falls_back_to_safe()
    {
        await using var g = await Grid.StartAsync();
        var twin = await OvenAsync(g, "oven-1", "loop-1");
        var loop = g.Factory.GetGrain<IControlLoopGrain>("loop-1");
        await loop.ConfigureAsync(Pid("oven-1"));
        await Measure(g, twin, 45, 1);
        var it = await loop.RunOnceAsync();
        Assert.Equal(25, it.Output);             // 5 x (50 - 45)
        Assert.Equal(CommandDeliveryStatus.Applied, it.CommandStatus);
        var record = (await twin.GetCommandAsync(it.CommandId!))!;
        Assert.Equal((IssuerKind.ControlLoop, "loop-1", "heater"), (record.Envelope.IssuerKind, record.Envelope.Issuer, record.Envelope.Tag));
        Assert.Equal(TagValue.FromDouble(25), Assert.Single(g.Gateway.Sent).Value);

        // Same output: nothing is sent again.
        g.Clock.Advance(TimeSpan.FromSeconds(1));
        await Measure(g, twin, 45, 2);
        Assert.Null((await loop.RunOnceAsync()).CommandId);

        // Bad measurement: safe output.
        g.Clock.Advance(TimeSpan.FromSeconds(1));
        await Measure(g, twin, 45, 3, TagQuality.Bad);
        it = await loop.RunOnceAsync();
        Assert.True(it.Safe);
        Assert.Equal(0, it.Output);
        Assert.Equal(CommandDeliveryStatus.Applied, it.CommandStatus);

        // Stale measurement (no update for more than three periods): safe output.
        g.Clock.Advance(TimeSpan.FromSeconds(1));
        await Measure(g, twin, 40, 4);
        Assert.False((await loop.RunOnceAsync()).Safe);
        g.Clock.Advance(TimeSpan.FromSeconds(4));
        it = await loop.RunOnceAsync();
        Assert.True(it.Safe);
        Assert.Contains("stale", it.Note);

        var status = await loop.GetStatusAsync();
        Assert.Equal(5, status.IterationCount);
        Assert.Equal(5, status.History.Count);
    }

    [Fact]
    public async Task A_seeded_loop_continues_from_the_output_then_and_sends_nothing_while_it_holds()
    {
        await using var g = await Grid.StartAsync();
        var twin = await OvenAsync(g, "oven-seed", "loop-seed");
        var loop = g.Factory.GetGrain<IControlLoopGrain>("loop-seed");
        await loop.ConfigureAsync(Pid("oven-seed") with { Pid = new PidParameters(Kp: 5, Ki: 0.1) });
        await loop.SeedAsync(30);
        await Measure(g, twin, 50, 1);   // at the setpoint: the output is what the integral holds
        var it = await loop.RunOnceAsync();
        Assert.Equal(30, it.Output, 6);  // bumpless: continues from the seeded output (cold, a PI at its setpoint starts at 0)
        Assert.Null(it.CommandId);       // the machine already holds it: nothing sent
        Assert.Empty(g.Gateway.Sent);
        await Assert.ThrowsAsync<InvalidOperationException>(() => loop.SeedAsync(10));   // already ran
    }

    [Fact]
    public async Task A_loop_the_twin_does_not_list_is_rejected_and_an_operator_lease_blocks_loops()
    {
        await using var g = await Grid.StartAsync();
        var twin = await OvenAsync(g, "oven-2");
        var loop = g.Factory.GetGrain<IControlLoopGrain>("rogue");
        await loop.ConfigureAsync(Pid("oven-2"));
        await Measure(g, twin, 45, 1);
        var it = await loop.RunOnceAsync();
        Assert.Equal(CommandDeliveryStatus.Rejected, it.CommandStatus);
        Assert.StartsWith("issuer:", it.Note);
        Assert.Null((await loop.GetStatusAsync()).LastOutput);
        Assert.Empty(g.Gateway.Sent);
    }

    [Fact]
    public async Task On_off_loop_writes_a_boolean_output()
    {
        await using var g = await Grid.StartAsync();
        var twin = await OvenAsync(g, "oven-3", "thermo");
        var loop = g.Factory.GetGrain<IControlLoopGrain>("thermo");
        await loop.ConfigureAsync(new ControlLoopConfiguration("oven-3", "temp", "oven-3", "relay", 20, ControlLawKind.OnOff,
            TimeSpan.FromSeconds(1), 0, 1, 0, OnOff: new OnOffParameters(2)));
        await Measure(g, twin, 18, 1);
        Assert.Equal(1, (await loop.RunOnceAsync()).Output);
        Assert.Equal(TagValue.FromBoolean(true), g.Gateway.Sent.Last().Value);
        g.Clock.Advance(TimeSpan.FromSeconds(1));
        await Measure(g, twin, 22, 2);
        Assert.Equal(0, (await loop.RunOnceAsync()).Output);
        Assert.Equal(TagValue.FromBoolean(false), g.Gateway.Sent.Last().Value);
    }

    [Fact]
    public async Task An_enabled_loop_runs_on_its_timer_stops_when_disabled_and_survives_a_restart()
    {
        await using var g = await Grid.StartAsync();
        var twin = await OvenAsync(g, "oven-4", "auto");
        var loop = g.Factory.GetGrain<IControlLoopGrain>("auto");
        await loop.ConfigureAsync(Pid("oven-4") with { SamplePeriod = TimeSpan.FromMilliseconds(100), StaleAfter = TimeSpan.FromHours(1) });
        await Measure(g, twin, 45, 1);
        await loop.EnableAsync();
        await Until(async () => (await loop.GetStatusAsync()).IterationCount >= 3);
        // A graceful restart: KillSilo leaves the killed activation's timer running (a zombie that keeps
        // writing with the old epoch), see docs/twins.md, "Runtime needs".
        await g.RestartOwnerOfAsync(loop);
        long before = (await loop.GetStatusAsync()).IterationCount;    // reactivates: the timer restarts
        Assert.True((await loop.GetStatusAsync()).Enabled);
        await Until(async () => (await loop.GetStatusAsync()).IterationCount >= before + 3);
        await loop.DisableAsync();
        long stopped = (await loop.GetStatusAsync()).IterationCount;
        await Task.Delay(400);
        Assert.Equal(stopped, (await loop.GetStatusAsync()).IterationCount);
    }

    [Fact]
    public async Task An_enabled_loop_resumes_after_a_restart_of_every_silo_without_being_called()
    {
        await using var g = await Grid.StartAsync();
        var twin = await OvenAsync(g, "oven-5", "resume");
        var loop = g.Factory.GetGrain<IControlLoopGrain>("resume");
        await loop.ConfigureAsync(Pid("oven-5") with { SamplePeriod = TimeSpan.FromMilliseconds(100), StaleAfter = TimeSpan.FromHours(1) });
        await Measure(g, twin, 45, 1);
        await loop.EnableAsync();
        await Until(async () => (await loop.GetStatusAsync()).IterationCount >= 2);
        await g.RestartAllSilosAsync();
        var stored = StoredETag(g, loop);

        // Nothing calls the loop or its twin now: the stored state changes only if the loop runs by itself
        // (here the keep-alive reminder wakes it: 5 s for a 100 ms loop, instead of a minute).
        Assert.Equal(TimeSpan.FromSeconds(5), ControlLoopGrain.KeepAlivePeriodOf(TimeSpan.FromMilliseconds(100)));
        await WaitForStoredIterationsAsync(g, loop, stored, 2, TimeSpan.FromSeconds(30));
        Assert.True((await loop.GetStatusAsync()).Enabled);
    }

    [Fact]
    public async Task A_twin_activating_after_a_restart_wakes_its_loop_before_the_keep_alive_reminder()
    {
        await using var g = await Grid.StartAsync();
        var twin = await OvenAsync(g, "oven-6", "slow");
        var loop = g.Factory.GetGrain<IControlLoopGrain>("slow");
        // A 10 s loop: its keep-alive reminder fires once a minute, first a minute after it was enabled.
        await loop.ConfigureAsync(Pid("oven-6") with { SamplePeriod = TimeSpan.FromSeconds(10), StaleAfter = TimeSpan.FromHours(1) });
        Assert.Equal(TimeSpan.FromMinutes(1), ControlLoopGrain.KeepAlivePeriodOf(TimeSpan.FromSeconds(10)));
        await Measure(g, twin, 45, 1);
        await loop.EnableAsync();
        await loop.RunOnceAsync();
        await g.RestartAllSilosAsync();
        // Read before the twin activates: the wake-up may write the loop's state before Measure returns.
        var stored = StoredETag(g, loop);

        // The plant comes back: telemetry activates the twin, which wakes the loop; a sample is overdue, so it
        // runs at once, long before the reminder's first firing (a minute after enabling) or its timer (10 s).
        g.Clock.Advance(TimeSpan.FromSeconds(11));
        await Measure(g, twin, 46, 2);
        await WaitForStoredIterationsAsync(g, loop, stored, 1, TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task A_loop_enabled_with_a_one_minute_keep_alive_gets_the_period_of_its_sample_rate_when_it_activates()
    {
        await using var g = await Grid.StartAsync();
        var twin = await OvenAsync(g, "oven-7", "legacy");
        var loop = g.Factory.GetGrain<IControlLoopGrain>("legacy");
        await loop.ConfigureAsync(Pid("oven-7") with { SamplePeriod = TimeSpan.FromMilliseconds(200), StaleAfter = TimeSpan.FromHours(1) });
        await loop.EnableAsync();
        var id = loop.GetGrainId();
        var reminders = g.Storage!.Reminders;
        var row = reminders.Find(id, "keep-alive")!;
        Assert.Equal(TimeSpan.FromSeconds(5), row.Period);
        // As an earlier version registered it: a fixed minute.
        await reminders.UpsertRow(new ReminderEntry { GrainId = id, ReminderName = "keep-alive", Period = TimeSpan.FromMinutes(1), StartAt = g.Clock.Now.AddMinutes(1).UtcDateTime, ETag = row.ETag });
        await g.RestartAllSilosAsync();
        var stored = StoredETag(g, loop);
        await Measure(g, twin, 45, 1);    // the twin activates and wakes the loop
        await Until(() => Task.FromResult(reminders.Find(id, "keep-alive")?.Period == TimeSpan.FromSeconds(5)),
            TimeSpan.FromSeconds(10), "the keep-alive reminder to be registered again with a 5 s period");
        await WaitForStoredIterationsAsync(g, loop, stored, 1, TimeSpan.FromSeconds(10));
    }

    /// <summary>The ETag of the loop's stored state, read from the storage directly (calling the loop would
    /// activate it, which is what the tests must show happens by itself).</summary>
    private static string StoredETag(Grid g, IControlLoopGrain loop)
    {
        var etag = g.Storage!.Read("loop", loop.GetGrainId())?.ETag;
        Assert.NotNull(etag);
        return etag;
    }

    /// <summary>Waits until the loop's stored state was written <paramref name="writes"/> more times since it
    /// had the ETag <paramref name="since"/>, taken before whatever should make the loop run.</summary>
    private static async Task WaitForStoredIterationsAsync(Grid g, IControlLoopGrain loop, string since, int writes, TimeSpan timeout)
    {
        var id = loop.GetGrainId();
        Task<string?> ETag() => Task.FromResult(g.Storage!.Read("loop", id)?.ETag);
        string? etag = since;
        for (int i = 0; i < writes; i++)
        {
            var seen = etag;
            await Until(async () => (etag = await ETag()) != seen, timeout, $"the loop to write its state (iteration {i + 1} after the restart)");
        }
    }

    private static async Task Until(Func<Task<bool>> condition, TimeSpan? timeout = null, string what = "the condition")
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var deadline = DateTime.UtcNow + limit;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Waited {limit.TotalSeconds:0} s for {what}.");
            await Task.Delay(20);
        }
    }
}
