using System.Text;
using Imv.Runtime.Hosting;
using Imv.Runtime.Storage;
using Imv.Runtime.Testing;
using Imv.Runtime.Tests.Grains;

namespace Imv.Runtime.Tests.Runtime;

/// <summary>Tests that start their own clusters: silos added, killed, restarted; storage rules.</summary>
public sealed class ClusterLifecycleTests
{
    [Fact]
    public async Task A_killed_silos_grains_reactivate_elsewhere_with_their_last_written_state()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 3 });
        var grains = Enumerable.Range(0, 30).Select(i => cluster.GrainFactory.GetGrain<IPersistentCounterGrain>("kill-" + i)).ToArray();
        foreach (var g in grains) { await g.IncrementAsync(); await g.IncrementAsync(); }
        var victim = cluster.OwnerOf(grains[0].GetGrainId());
        cluster.KillSilo(victim);
        foreach (var g in grains)
        {
            Assert.Equal(3, await g.IncrementAsync());
            Assert.NotEqual(victim.Name, cluster.OwnerOf(g.GetGrainId()).Name);
        }
    }

    [Fact]
    public async Task Partitions_rebalance_to_an_added_silo_and_state_moves_with_them()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 1 });
        var grains = Enumerable.Range(0, 40).Select(i => cluster.GrainFactory.GetGrain<IPersistentCounterGrain>("move-" + i)).ToArray();
        foreach (var g in grains) await g.IncrementAsync();
        var added = await cluster.AddSiloAsync();
        int moved = grains.Count(g => cluster.OwnerOf(g.GetGrainId()) == added);
        Assert.True(moved > 0, "no partition moved to the new silo");
        foreach (var g in grains)
        {
            // The old owner flushes on hand-over; the next increment must see the stored 1.
            await GrainCallTests.Until(async () =>
            {
                try { return await g.GetAsync() == 1; }
                catch (InconsistentStateException) { return false; }
            });
            Assert.Equal(2, await g.IncrementAsync());
        }
    }

    [Fact]
    public async Task A_stale_ETag_write_is_refused_and_stores_nothing()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 1 });
        var grain = cluster.GrainFactory.GetGrain<IPersistentCounterGrain>("stale");
        await grain.IncrementAsync();
        var id = grain.GetGrainId();
        var stored = await cluster.Storage.ReadAsync("counter", id, CancellationToken.None);
        Assert.NotNull(stored);
        // Someone else writes the record behind the grain's back.
        var sneaky = await cluster.Storage.WriteAsync("counter", id, stored!.Data, stored.ETag, stored.Epoch, CancellationToken.None);
        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.IncrementAsync());
        var after = await cluster.Storage.ReadAsync("counter", id, CancellationToken.None);
        Assert.Equal(sneaky, after!.ETag);
        Assert.Equal(stored.Data, after.Data);
    }

    [Fact]
    public async Task A_write_with_an_older_fencing_epoch_is_refused()
    {
        var storage = new MemoryGrainStorage();
        var id = new GrainId("x", "1");
        var etag = await storage.WriteAsync("s", id, new byte[] { 1 }, null, 5, CancellationToken.None);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteAsync("s", id, new byte[] { 2 }, etag, 4, CancellationToken.None));
        Assert.Equal(new byte[] { 1 }, (await storage.ReadAsync("s", id, CancellationToken.None))!.Data);
    }

    [Fact]
    public async Task An_undecodable_state_row_fails_activation_naming_grain_and_storage_and_is_kept()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 1 });
        var grain = cluster.GrainFactory.GetGrain<IPersistentCounterGrain>("corrupt");
        var garbage = Encoding.ASCII.GetBytes("\u00ff\u00ff\u00ff\u00ff not a state");
        await cluster.Storage.WriteAsync("counter", grain.GetGrainId(), garbage, null, 1, CancellationToken.None);
        var e = await Assert.ThrowsAsync<ActivationFailedException>(() => grain.GetAsync());
        Assert.Contains("persistentcounter/corrupt", e.Message);
        Assert.Contains("default", e.Message);
        Assert.Equal(garbage, (await cluster.Storage.ReadAsync("counter", grain.GetGrainId(), CancellationToken.None))!.Data);
    }

    [Fact]
    public async Task A_reminder_fires_again_after_the_silo_restarts()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 1 });
        var grain = cluster.GrainFactory.GetGrain<IReminderGrain>("remind");
        await grain.StartAsync(TimeSpan.FromMilliseconds(200));
        await GrainCallTests.Until(async () => await grain.TicksAsync() >= 2);
        await cluster.RestartSiloAsync(cluster.Silos[0]);
        int before = await grain.TicksAsync();
        await GrainCallTests.Until(async () => await grain.TicksAsync() >= before + 2);
        await grain.StopAsync();
    }

    [Fact]
    public async Task Idle_activations_are_collected_and_reactivate_with_their_state()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilos = 1,
            ConfigureSilo = o => { o.CollectionAge = TimeSpan.FromMilliseconds(100); o.CollectionQuantum = TimeSpan.FromHours(1); },
        });
        var grain = cluster.GrainFactory.GetGrain<IPersistentCounterGrain>("idle");
        await grain.IncrementAsync();
        var silo = cluster.Silos[0];
        Assert.Equal(1, silo.ActivationCount);
        await Task.Delay(300);
        silo.CollectNow();
        await GrainCallTests.Until(() => Task.FromResult(silo.ActivationCount == 0));
        Assert.Equal(2, await grain.IncrementAsync());
    }

    [Fact]
    public async Task The_activation_limit_deactivates_the_least_recently_used()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions
        {
            InitialSilos = 1,
            ConfigureSilo = o => { o.MaxActivations = 10; o.CollectionQuantum = TimeSpan.FromHours(1); },
        });
        for (int i = 0; i < 25; i++) await cluster.GrainFactory.GetGrain<ICounterGrain>("limit-" + i).IncrementAsync();
        var silo = cluster.Silos[0];
        silo.CollectNow();
        await GrainCallTests.Until(() => Task.FromResult(silo.ActivationCount <= 10));
    }

    [Fact]
    public async Task DeactivateOnIdle_and_graceful_stop_flush_and_reload_state()
    {
        await using var cluster = await TestCluster.StartAsync(new TestClusterOptions { InitialSilos = 1 });
        var grain = cluster.GrainFactory.GetGrain<IPersistentCounterGrain>("flush");
        await grain.IncrementAsync();
        await grain.DeactivateAsync();
        await GrainCallTests.Until(() => Task.FromResult(cluster.Silos[0].ActivationCount == 0));
        Assert.Equal(1, await grain.GetAsync());
        await cluster.RestartSiloAsync(cluster.Silos[0]);
        Assert.Equal(2, await grain.IncrementAsync());
    }

    [Theory]
    [InlineData("PartitionCount", "0")]
    [InlineData("DefaultCallTimeout", "-00:00:01")]
    [InlineData("DefaultStorage", "Cassandra")]
    public void Invalid_silo_options_fail_naming_the_option_and_value(string option, string value)
    {
        var options = new SiloOptions();
        var property = typeof(SiloOptions).GetProperty(option)!;
        object converted = property.PropertyType == typeof(TimeSpan) ? TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture)
            : property.PropertyType == typeof(int) ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : value;
        property.SetValue(options, converted);
        var e = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains("Silo:" + option, e.Message);
        Assert.Contains(value, e.Message);
    }
}
