using Imv.Grains.Interfaces.Assets;
using Imv.Grains.Tests.Support;
using Xunit;

namespace Imv.Grains.Tests.Assets;

public sealed class AssetGrainTests
{
    private static async Task SetUpAsync(IGrainFactory f, int wallets, long each)
    {
        await f.GetGrain<IAssetGrain>("IMV").RegisterAsync(new AssetRegistration(AssetKind.DigitalCurrency, "IMV credit", "did:imv:bank", "bank"));
        for (var i = 0; i < wallets; i++) await f.GetGrain<IAssetGrain>("IMV").MintAsync($"seed-{i}", "bank", $"w{i}", each);
    }

    [Fact]
    public async Task Concurrent_transfers_through_grains_conserve_everything_and_repeat_ids_do_nothing()
    {
        await using var cluster = await GrainsTestCluster.StartAsync();
        var f = cluster.GrainFactory;
        const int n = 6;
        await SetUpAsync(f, n, 1000);
        var recipe = f.GetGrain<IAssetGrain>("recipe-7");
        await recipe.RegisterAsync(new AssetRegistration(AssetKind.IntellectualProperty, "Injection recipe 7", "site-1.line-01.machine-001", "w0"));
        Assert.True(await f.GetGrain<IWalletGrain>("w0").HoldsAsync("recipe-7"));

        var rng = new Random(5);
        var requests = Enumerable.Range(0, 300).Select(i =>
        {
            var from = rng.Next(n);
            var to = (from + 1 + rng.Next(n - 1)) % n;
            return i % 10 == 0
                ? new TransferRequest($"t{i}", $"w{from}", $"w{to}", "recipe-7", 1)
                : new TransferRequest($"t{i}", $"w{from}", $"w{to}", "IMV", rng.Next(1, 300));
        }).ToList();
        var receipts = new List<TransferReceipt>();
        foreach (var wave in requests.Chunk(30)) // concurrent within a wave; each transfer sent twice
        {
            var calls = wave.Concat(wave).OrderBy(_ => rng.Next()).ToList();
            receipts.AddRange(await Task.WhenAll(calls.Select(r => f.GetGrain<ITransferGrain>(r.TransferId).ExecuteAsync(r))));
        }
        foreach (var g in receipts.GroupBy(r => r.Request.TransferId)) Assert.Single(g.Distinct());

        var balances = await Task.WhenAll(Enumerable.Range(0, n).Select(i => f.GetGrain<IWalletGrain>($"w{i}").GetBalanceAsync("IMV")));
        Assert.Equal(n * 1000, balances.Sum());
        var holders = await Task.WhenAll(Enumerable.Range(0, n).Select(i => f.GetGrain<IWalletGrain>($"w{i}").HoldsAsync("recipe-7")));
        Assert.Single(holders, h => h);
        var owner = (await recipe.GetInfoAsync())!.Owner;
        Assert.True(await f.GetGrain<IWalletGrain>(owner).HoldsAsync("recipe-7"));

        var ledger = f.GetGrain<ILedgerGrain>(LedgerNames.Main);
        var completed = receipts.Where(r => r.Status == TransferStatus.Completed).Select(r => r.Request.TransferId).Distinct().Count();
        var head = await ledger.GetHeadAsync();
        Assert.Equal(2 + n + completed, head.Count); // 2 registrations, n mints, the transfers
        Assert.True((await ledger.VerifyAsync()).IsValid);
        Assert.True(completed > 100, $"{completed} completed");

        // A repeated mint id mints nothing; only the issuer mints.
        await f.GetGrain<IAssetGrain>("IMV").MintAsync("seed-0", "bank", "w0", 1000);
        Assert.Equal(n * 1000, (await f.GetGrain<IAssetGrain>("IMV").GetInfoAsync())!.Issued);
        await Assert.ThrowsAnyAsync<Exception>(() => f.GetGrain<IAssetGrain>("IMV").MintAsync("evil", "w1", "w1", 10));
    }

    [Fact]
    public async Task Restarting_loses_no_acknowledged_ledger_entry()
    {
        var storage = new SharedTestStorage();
        LedgerHead head;
        IReadOnlyList<LedgerEntry> before;
        await using (var cluster = await GrainsTestCluster.StartAsync(storage))
        {
            var f = cluster.GrainFactory;
            await SetUpAsync(f, 3, 500);
            for (var i = 0; i < 20; i++)
                Assert.Equal(TransferStatus.Completed, (await f.GetGrain<ITransferGrain>($"r{i}").ExecuteAsync(new TransferRequest($"r{i}", $"w{i % 3}", $"w{(i + 1) % 3}", "IMV", 5))).Status);
            head = await f.GetGrain<ILedgerGrain>(LedgerNames.Main).GetHeadAsync();
            before = await f.GetGrain<ILedgerGrain>(LedgerNames.Main).GetEntriesAsync(0, 1000);
            await cluster.KillAllSilosAsync(); // no graceful deactivation
        }

        await using (var cluster = await GrainsTestCluster.StartAsync(storage))
        {
            var f = cluster.GrainFactory;
            var ledger = f.GetGrain<ILedgerGrain>(LedgerNames.Main);
            Assert.Equal(head, await ledger.GetHeadAsync());
            Assert.Equal(before, await ledger.GetEntriesAsync(0, 1000));
            Assert.True((await ledger.VerifyAsync()).IsValid);
            Assert.Equal(1500, (await Task.WhenAll(Enumerable.Range(0, 3).Select(i => f.GetGrain<IWalletGrain>($"w{i}").GetBalanceAsync("IMV")))).Sum());
            // A transfer repeated after the restart does nothing.
            var again = await f.GetGrain<ITransferGrain>("r3").ExecuteAsync(new TransferRequest("r3", "w0", "w1", "IMV", 5));
            Assert.Equal(TransferStatus.Completed, again.Status);
            Assert.Equal(head.Count, (await ledger.GetHeadAsync()).Count);
        }
    }
}
