using Imv.Gateways.Twins;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Grains.Tests.Telemetry;

/// <summary>The silo's telemetry sink: readings from gateways reach the right twins, coalesced, bounded.</summary>
public sealed class TwinTelemetryRouterTests
{
    private static TagUpdate Reading(string tag, double value, long sequence, DateTimeOffset at) =>
        new(tag, TagValue.FromDouble(value), TagQuality.Good, at, sequence);

    [Theory]
    [InlineData(1_000_000)]
    [InlineData(7)]
    public async Task Concurrent_writers_reach_every_twin_and_the_newest_reading_wins(int maxPending)
    {
        await using var grid = await Grid.StartAsync();
        var router = new TwinTelemetryRouter(grid.Factory, NullLogger<TwinTelemetryRouter>.Instance, new TwinTelemetryRouterOptions { MaxPendingUpdates = maxPending });
        var start = grid.Clock.Now;
        const int twins = 40, rounds = 50;
        var writers = Enumerable.Range(0, twins).Select(t => Task.Run(async () =>
        {
            for (int r = 1; r <= rounds; r++)
                await router.WriteTelemetryAsync("router-" + t, new[] { Reading("temperature", r, r, start.AddMilliseconds(r)), Reading("pressure", -r, r, start.AddMilliseconds(r)) }, CancellationToken.None);
        }));
        await Task.WhenAll(writers);
        await router.FlushAsync(CancellationToken.None);
        var stats = router.Statistics;
        Assert.Equal(0, stats.FailedCalls);
        Assert.Equal(0, stats.Pending);
        Assert.Equal(twins * rounds * 2, stats.Applied + stats.Stale + stats.Duplicate);
        Assert.True(stats.Calls <= twins * rounds, "readings for one twin are coalesced into fewer calls than messages");
        for (int t = 0; t < twins; t++)
        {
            var temperature = await grid.Factory.GetGrain<IMachineGrain>("router-" + t).GetTagAsync("temperature");
            Assert.NotNull(temperature);
            Assert.Equal(rounds, temperature!.Value.AsDouble());
        }
    }

    [Fact]
    public async Task Writers_racing_an_idle_twin_entry_being_dropped_lose_no_reading()
    {
        // The router drops a twin's entry whenever its pump drains; writers that found the entry just before must
        // move to the next one. Several writers per twin, each on its own tag, make that race frequent.
        await using var grid = await Grid.StartAsync();
        var router = new TwinTelemetryRouter(grid.Factory, NullLogger<TwinTelemetryRouter>.Instance);
        var start = grid.Clock.Now;
        const int twins = 8, writersPerTwin = 4, rounds = 200;
        var writers = Enumerable.Range(0, twins * writersPerTwin).Select(w => Task.Run(async () =>
        {
            string twin = "race-" + (w % twins), tag = "w" + (w / twins);
            for (int r = 1; r <= rounds; r++)
            {
                await router.WriteTelemetryAsync(twin, new[] { Reading(tag, r, r, start.AddMilliseconds(r)) }, CancellationToken.None);
                if (r % 16 == 0) await Task.Yield();
            }
        }));
        await Task.WhenAll(writers);
        await router.FlushAsync(CancellationToken.None);
        var stats = router.Statistics;
        Assert.Equal(0, stats.FailedCalls);
        Assert.Equal(twins * writersPerTwin * rounds, stats.Applied);
        for (int t = 0; t < twins; t++)
            for (int w = 0; w < writersPerTwin; w++)
                Assert.Equal(rounds, (await grid.Factory.GetGrain<IMachineGrain>("race-" + t).GetTagAsync("w" + w))!.Value.AsDouble());
    }

    [Fact]
    public async Task A_receipt_completes_only_once_every_twin_has_stored_its_readings()
    {
        // Storage whose writes of the receipt twins wait, once closed, until the test opens the gate.
        var storage = new SharedTestStorage();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = false;
        int waiting = 0;
        storage.BeforeWrite = async (_, grainId) =>
        {
            if (Volatile.Read(ref closed) && grainId.Key.ToString()!.StartsWith("receipt-", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref waiting);
                await gate.Task;
            }
        };
        await using var grid = await Grid.StartAsync(storage: storage);
        var router = new TwinTelemetryRouter(grid.Factory, NullLogger<TwinTelemetryRouter>.Instance);
        var at = grid.Clock.Now;
        // Activate both twins first, so the gate holds only the ingest writes.
        foreach (var id in new[] { "receipt-a", "receipt-b" }) await grid.Factory.GetGrain<IMachineGrain>(id).GetTagAsync("t");
        Volatile.Write(ref closed, true);

        var receipt = new TelemetryReceipt();
        await router.WriteTelemetryAsync("receipt-a", new[] { Reading("t", 1, 1, at) }, receipt, CancellationToken.None);
        await router.WriteTelemetryAsync("receipt-b", new[] { Reading("t", 2, 1, at) }, receipt, CancellationToken.None);
        receipt.Seal();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref waiting) < 2 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.Equal(2, Volatile.Read(ref waiting)); // both twins applied the readings and are writing them
        Assert.False(receipt.Stored.IsCompleted);

        gate.SetResult();
        await receipt.Stored.WaitAsync(TimeSpan.FromSeconds(30));
        Volatile.Write(ref closed, false);
        Assert.Equal(2, (await grid.Factory.GetGrain<IMachineGrain>("receipt-b").GetTagAsync("t"))!.Value.AsDouble());
        Assert.Throws<InvalidOperationException>(receipt.Enter);
    }

    [Fact]
    public async Task A_failed_ingest_of_readings_under_a_receipt_is_retried_and_the_receipt_completes_once_they_are_stored()
    {
        // Storage refuses the twin's first three writes (its silo died, PostgreSQL unreachable): the readings stay with
        // the router, in order, and are stored by a later attempt; only then is the receipt complete.
        var storage = new SharedTestStorage();
        int refusals = 0;
        bool armed = false;
        storage.BeforeWrite = (_, grainId) =>
            Volatile.Read(ref armed) && grainId.Key.ToString() == "retry-a" && Interlocked.Increment(ref refusals) <= 3
                ? throw new IOException("storage unreachable (test)")
                : Task.CompletedTask;
        await using var grid = await Grid.StartAsync(storage: storage);
        var router = new TwinTelemetryRouter(grid.Factory, NullLogger<TwinTelemetryRouter>.Instance);
        var at = grid.Clock.Now;
        await grid.Factory.GetGrain<IMachineGrain>("retry-a").GetTagAsync("t");
        Volatile.Write(ref armed, true);

        var receipt = new TelemetryReceipt();
        await router.WriteTelemetryAsync("retry-a", new[] { Reading("t", 1, 1, at) }, receipt, CancellationToken.None);
        await router.WriteTelemetryAsync("retry-a", new[] { Reading("t", 2, 2, at.AddMilliseconds(1)) }, receipt, CancellationToken.None);
        receipt.Seal();
        await receipt.Stored.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(Volatile.Read(ref refusals) > 3, "the write was attempted again after the refusals");
        var stats = router.Statistics;
        Assert.True(stats.Retries >= 3, $"retries: {stats.Retries}");
        Assert.Equal(0, stats.Pending);
        Volatile.Write(ref armed, false);
        Assert.Equal(2, (await grid.Factory.GetGrain<IMachineGrain>("retry-a").GetTagAsync("t"))!.Value.AsDouble());
    }

    [Fact]
    public async Task A_receipt_whose_readings_cannot_be_stored_within_the_retry_timeout_faults_and_readings_without_one_are_not_retried()
    {
        var storage = new SharedTestStorage();
        bool armed = false;
        storage.BeforeWrite = (_, grainId) =>
            Volatile.Read(ref armed) && grainId.Key.ToString()!.StartsWith("broken-", StringComparison.Ordinal)
                ? throw new IOException("storage unreachable (test)")
                : Task.CompletedTask;
        await using var grid = await Grid.StartAsync(storage: storage);
        var router = new TwinTelemetryRouter(grid.Factory, NullLogger<TwinTelemetryRouter>.Instance,
            new TwinTelemetryRouterOptions { IngestRetryTimeout = TimeSpan.FromMilliseconds(300) });
        var at = grid.Clock.Now;
        foreach (var id in new[] { "broken-a", "broken-b" }) await grid.Factory.GetGrain<IMachineGrain>(id).GetTagAsync("t");
        Volatile.Write(ref armed, true);

        var receipt = new TelemetryReceipt();
        await router.WriteTelemetryAsync("broken-a", new[] { Reading("t", 1, 1, at) }, receipt, CancellationToken.None);
        receipt.Seal();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => receipt.Stored.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("storage unreachable", failure.ToString(), StringComparison.Ordinal);
        Assert.True(router.Statistics.Retries >= 1);

        // Readings no device waits for (the simulator, OPC UA) are not held back by a failing twin.
        long retries = router.Statistics.Retries;
        await router.WriteTelemetryAsync("broken-b", new[] { Reading("t", 1, 1, at) }, CancellationToken.None);
        await router.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(retries, router.Statistics.Retries);
        Assert.Equal(0, router.Statistics.Pending);
    }

    [Fact]
    public async Task A_writer_over_the_bound_waits_until_readings_are_applied()
    {
        var budget = new PendingBudget(10);
        Assert.True(budget.TryTake(8));
        Assert.False(budget.TryTake(5));
        var waiting = budget.TakeAsync(5, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        budget.Return(8);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(5, budget.Pending);
        // A request larger than the bound is admitted alone rather than never.
        budget.Return(5);
        Assert.True(budget.TryTake(50));
    }

    [Fact]
    public async Task A_cancelled_waiter_takes_nothing()
    {
        var budget = new PendingBudget(4);
        Assert.True(budget.TryTake(4));
        using var cts = new CancellationTokenSource();
        var waiting = budget.TakeAsync(3, cts.Token);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        budget.Return(4);
        Assert.Equal(0, budget.Pending);
    }
}
