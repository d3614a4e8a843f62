using Imv.Grains.ControlLoops;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Organizations;
using Imv.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using static Imv.Grains.Tests.OrleansSemantics.Semantics;

namespace Imv.Grains.Tests.OrleansSemantics;

/// <summary>Grain timers (RegisterGrainTimer) tick without keeping a grain alive unless KeepAlive is set; reminders
/// have a minimum period. The twin's expiry timer and the organization's flush timer keep working and let their
/// grain be collected (the twin expires on activation and on reads, the organization flushes on deactivation);
/// an enabled control loop's sampling timer keeps its loop alive.</summary>
public sealed class TimerAndReminderTests
{
    /// <summary>Idle activations are collected after 3 s (checked every second).</summary>
    private static void FastCollection(ISiloBuilder silo) => silo.Configure<GrainCollectionOptions>(o =>
    {
        o.CollectionQuantum = TimeSpan.FromSeconds(1);
        o.CollectionAge = TimeSpan.FromSeconds(3);
    });

    [Fact]
    public async Task The_twins_expiry_timer_expires_a_command_without_any_call_and_does_not_keep_the_twin_alive()
    {
        await using var g = await Grid.StartAsync(configure: FastCollection);
        g.Gateway.Answer = _ => CommandDelivery.Delivered;
        var twin = await TwinAsync(g, "tm-m1");
        var ann = await AvatarAsync(g, "tm-ann", Interfaces.Avatars.AvatarRole.Worker, "tm-m1");
        await ann.IssueCommandAsync("tm-m1", "tm-c1", "sp", null, TagValue.FromDouble(1), null, TimeSpan.FromSeconds(30));
        var log = g.Storage!.Read("machine-schema", twin.GetGrainId())!.ETag;
        g.Clock.Advance(TimeSpan.FromSeconds(31));
        // Nothing calls the twin: its 1 s timer finds the command overdue and stores the expiry.
        await Until(() => Task.FromResult(g.Storage.Read("machine-schema", twin.GetGrainId())!.ETag != log), TimeSpan.FromSeconds(5), "the expiry timer to store the expiry");
        // The timer does not keep the idle twin alive (not KeepAlive): it is collected.
        await Until(() => Task.FromResult(!g.Cluster.TryGetGrainContext(twin.GetGrainId(), out _)), TimeSpan.FromSeconds(15), "the idle twin to be collected");
        Assert.Equal(CommandDeliveryStatus.Expired, (await twin.GetCommandAsync("tm-c1"))!.Status);
    }

    [Fact]
    public async Task The_organizations_flush_timer_writes_contributions_behind_and_a_collected_organization_flushes_them()
    {
        await using var g = await GrainsTestCluster.StartAsync();
        var line = g.Factory.GetGrain<IVirtualOrganizationGrain>("tm-line");
        await line.InitializeAsync(OrganizationKind.Line, "L");
        await line.AttachMachineAsync("tm-m2");
        var etag = g.Storage!.Read("organization", line.GetGrainId())!.ETag;
        var status = new MachineStatus("tm-m2", MachineRunState.Running, 0, TimeSpan.FromHours(1), TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(1), 10, 9, DateTimeOffset.UtcNow);
        await line.ReportChildStatusAsync("tm-m2", status);      // an attached machine's report is written behind
        Assert.Equal(etag, g.Storage.Read("organization", line.GetGrainId())!.ETag);
        await Until(() => Task.FromResult(g.Storage.Read("organization", line.GetGrainId())!.ETag != etag),
            VirtualOrganizationGrain.FlushPeriod + TimeSpan.FromSeconds(5), "the flush timer to write the contribution");

        await using var fast = await Grid.StartAsync(storage: g.Storage, recordStatus: false, configure: FastCollection);
        var other = fast.Factory.GetGrain<IVirtualOrganizationGrain>("tm-line-2");
        await other.InitializeAsync(OrganizationKind.Line, "L2");
        await other.AttachMachineAsync("tm-m3");
        etag = fast.Storage!.Read("organization", other.GetGrainId())!.ETag;
        await other.ReportChildStatusAsync("tm-m3", status with { MachineId = "tm-m3" });
        // Idle for 3 s: collected before the 5 s flush timer fires (the timer does not keep it alive); the
        // deactivation writes the contribution.
        await Until(() => Task.FromResult(!fast.Cluster.TryGetGrainContext(other.GetGrainId(), out _)), TimeSpan.FromSeconds(15), "the idle organization to be collected");
        Assert.NotEqual(etag, fast.Storage.Read("organization", other.GetGrainId())!.ETag);
        Assert.Equal(1, (await other.GetAggregateAsync()).Running);
    }

    [Fact]
    public async Task An_enabled_loops_timer_keeps_it_alive_and_sampling_and_a_disabled_loop_is_collected()
    {
        await using var g = await Grid.StartAsync(configure: FastCollection);
        var twin = await TwinAsync(g, "tm-oven", null, "tm-loop");
        await twin.IngestAsync(Reading(g, "temp", 45, 1));
        var loop = g.Factory.GetGrain<IControlLoopGrain>("tm-loop");
        // 200 ms samples: the keep-alive reminder fires every 5 s, longer than the 3 s collection age.
        await loop.ConfigureAsync(new ControlLoopConfiguration("tm-oven", "temp", "tm-oven", "heater", 50, ControlLawKind.Pid,
            TimeSpan.FromMilliseconds(200), 0, 100, 0, Pid: new PidParameters(1)) with { StaleAfter = TimeSpan.FromHours(1) });
        await loop.EnableAsync();
        var id = loop.GetGrainId();
        // Nothing calls the loop for 7 s: it must stay active and keep writing its iterations without a gap
        // (a collected loop would stand still until its reminder woke it).
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var last = g.Storage!.Read("loop", id)!.ETag;
        var lastChange = TimeSpan.Zero;
        var longestGap = TimeSpan.Zero;
        while (watch.Elapsed < TimeSpan.FromSeconds(7))
        {
            await Task.Delay(50);
            Assert.True(g.Cluster.TryGetGrainContext(id, out _), $"the enabled loop was collected after {watch.Elapsed.TotalSeconds:0.0} s");
            var etag = g.Storage.Read("loop", id)!.ETag;
            if (etag != last)
            {
                longestGap = Max(longestGap, watch.Elapsed - lastChange);
                (last, lastChange) = (etag, watch.Elapsed);
            }
        }
        Assert.True(longestGap < TimeSpan.FromSeconds(2), $"the loop stood still for {longestGap.TotalSeconds:0.0} s");
        await loop.DisableAsync();
        await Until(() => Task.FromResult(!g.Cluster.TryGetGrainContext(id, out _)), TimeSpan.FromSeconds(15), "the disabled loop to be collected");
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(1000)]
    [InlineData(10_000)]
    [InlineData(3_600_000)]
    public async Task The_loops_keep_alive_reminder_is_registered_with_a_period_at_least_the_configured_minimum(int sampleMilliseconds)
    {
        var sample = TimeSpan.FromMilliseconds(sampleMilliseconds);
        var period = ControlLoopGrain.KeepAlivePeriodOf(sample);
        Assert.True(period >= TimeSpan.FromSeconds(5) && period <= TimeSpan.FromMinutes(1), $"keep-alive {period} for samples of {sample}");
        if (sampleMilliseconds != 100) return;   // one cluster is enough for the registration itself

        await using var g = await Grid.StartAsync();
        var minimum = g.Silos[0].ServiceProvider.GetRequiredService<IOptions<ReminderOptions>>().Value.MinimumReminderPeriod;
        Assert.Equal(Grid.MinimumReminderPeriod, minimum);
        await TwinAsync(g, "rm-oven", null, "rm-loop");
        var loop = g.Factory.GetGrain<IControlLoopGrain>("rm-loop");
        await loop.ConfigureAsync(new ControlLoopConfiguration("rm-oven", "temp", "rm-oven", "heater", 50, ControlLawKind.Pid,
            sample, 0, 100, 0, Pid: new PidParameters(1)));
        await loop.EnableAsync();
        var row = g.Storage!.Reminders.Find(loop.GetGrainId(), "keep-alive");
        Assert.NotNull(row);
        Assert.True(row!.Period >= minimum, $"reminder period {row.Period} below the minimum {minimum}");
        Assert.Equal(period, row.Period);
        await loop.DisableAsync();
        Assert.Null(g.Storage.Reminders.Find(loop.GetGrainId(), "keep-alive"));
    }
}
