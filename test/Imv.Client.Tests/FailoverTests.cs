using Imv.Client.Watching;
using Imv.Silo.Tests.Support;

namespace Imv.Client.Tests;

/// <summary>A subscription outlives its silo: the silo stops and another starts on the same data file and ports (the
/// twin is reactivated: a new epoch); the subscription reports Lost, then Restored and a Gap with the new snapshot,
/// then the changes of the new activation.</summary>
public sealed class FailoverTests
{
    [Fact]
    public async Task A_subscription_resubscribes_after_the_silo_is_replaced_and_reports_the_gap()
    {
        const string twin = "site-1.line-02.machine-003";
        int siloPort = TestSilo.FreePort(), gatewayPort = TestSilo.FreePort();
        var dataFile = TestSilo.NewDataFile();
        var silo = await TestSilo.StartAsync(dataFile, SiloWithClient.Settings(siloPort, gatewayPort));
        await using var imv = await ImvClient.ConnectAsync(SiloWithClient.Options(gatewayPort, silo.AdminKey));
        await using var watch = await imv.Twins.WatchAsync(twin);
        Assert.Equal(WatchEventKind.Started, (await watch.ReadAsync()).Kind);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        Assert.Equal(WatchEventKind.Changed, (await watch.ReadAsync(cts.Token)).Kind);

        await silo.DisposeAsync();
        // While no silo runs, the next renewal fails: the subscription says so (a restart faster than one renewal
        // interval would skip this and go straight to the Gap below, which is the part that must never be missed).
        await foreach (var e in watch.ReadAllAsync(cts.Token))
            if (e.Kind == WatchEventKind.Lost) break;
        silo = await TestSilo.StartAsync(dataFile, SiloWithClient.Settings(siloPort, gatewayPort));
        try
        {
            var kinds = new List<WatchEventKind>();
            WatchEvent<Grains.Interfaces.Twins.TwinSnapshot, Grains.Interfaces.Watching.TwinChange>? gap = null;
            await foreach (var e in watch.ReadAllAsync(cts.Token))
            {
                if (e.Kind != WatchEventKind.Changed || gap is not null) kinds.Add(e.Kind);
                if (e.Kind == WatchEventKind.Gap) gap = e;
                if (gap is not null && e.Kind == WatchEventKind.Changed) break;
            }
            Assert.NotNull(gap);
            Assert.Contains("reactivated", gap.Reason, StringComparison.Ordinal);
            Assert.Equal(twin, gap.State!.TwinId);
            Assert.Equal(WatchEventKind.Changed, kinds[^1]);
        }
        finally
        {
            await silo.DisposeAsync();
        }
    }
}
