using Imv.Grains.Interfaces.Assets;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Identity;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using static Imv.Grains.Tests.OrleansSemantics.Semantics;

namespace Imv.Grains.Tests.OrleansSemantics;

/// <summary>[ReadOnly] methods interleave with each other, so they must not change state: many reads at once give
/// the answers of one read, and nothing is written.</summary>
public sealed class ReadOnlyTests
{
    [Fact]
    public async Task Twin_reads_interleaving_with_each_other_answer_alike_and_write_nothing()
    {
        await using var g = await Grid.StartAsync();
        var twin = await TwinAsync(g, "ro-m1", "ro-line");
        var ann = await AvatarAsync(g, "ro-ann", Interfaces.Avatars.AvatarRole.Worker, "ro-m1");
        await twin.IngestAsync(new TagBatch([new TagUpdate("temp", TagValue.FromDouble(85), TagQuality.Good, g.Clock.Now, 1),
            new TagUpdate("sp", TagValue.FromDouble(20), TagQuality.Good, g.Clock.Now, 1)]));
        await twin.SetDesiredAsync(new DesiredUpdate(new Dictionary<string, TagValue> { ["sp"] = TagValue.FromDouble(30) }));
        await ann.AcquireLeaseAsync("ro-m1", TimeSpan.FromHours(1));
        await ann.IssueCommandAsync("ro-m1", "ro-c1", "sp", null, TagValue.FromDouble(30), null, TimeSpan.FromHours(1));
        g.Clock.Advance(TimeSpan.FromSeconds(2));

        var before = ETags(g.Storage!, twin);
        var snapshot = await twin.GetSnapshotAsync();
        var tag = await twin.GetTagAsync("temp");
        var status = await twin.GetStatusAsync();
        var shadow = await twin.GetShadowAsync();
        var config = await twin.GetConfigurationAsync();
        var alarms = await twin.GetActiveAlarmsAsync();
        var history = await twin.GetAlarmHistoryAsync();
        var lease = await twin.GetLeaseAsync();

        var reads = new List<Task>();
        for (int i = 0; i < 50; i++)
        {
            reads.Add(twin.GetSnapshotAsync().ContinueWith(t => Assert.Equal(Describe(snapshot), Describe(t.Result)), TaskScheduler.Default));
            reads.Add(twin.GetTagAsync("temp").ContinueWith(t => Assert.Equal(tag, t.Result), TaskScheduler.Default));
            reads.Add(twin.GetStatusAsync().ContinueWith(t => Assert.Equal(status, t.Result), TaskScheduler.Default));
            reads.Add(twin.GetShadowAsync().ContinueWith(t => Assert.Equal(Describe(shadow), Describe(t.Result)), TaskScheduler.Default));
            reads.Add(twin.GetConfigurationAsync().ContinueWith(t => Assert.Equal(config!.Tags!.Count, t.Result!.Tags!.Count), TaskScheduler.Default));
            reads.Add(twin.GetActiveAlarmsAsync().ContinueWith(t => Assert.Equal(alarms, t.Result), TaskScheduler.Default));
            reads.Add(twin.GetAlarmHistoryAsync().ContinueWith(t => Assert.Equal(history, t.Result), TaskScheduler.Default));
            reads.Add(twin.GetLeaseAsync().ContinueWith(t => Assert.Equal(lease, t.Result), TaskScheduler.Default));
        }
        await Task.WhenAll(reads);
        Assert.Equal(before, ETags(g.Storage!, twin));
        Assert.Equal(Describe(snapshot), Describe(await twin.GetSnapshotAsync()));
    }

    private static string Describe(TwinSnapshot s) =>
        string.Join(";", s.Tags.Select(t => $"{t.Name}={t.Value}/{t.Quality}/{t.Sequence}/{t.Staleness}")) + $"|{s.AppliedCount}|{s.StaleCount}|{s.Status}|{s.Staleness}";

    private static string Describe(ShadowDocument d) =>
        $"{d.Version}|" + string.Join(",", d.Reported.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value))
        + "|" + string.Join(",", d.Desired.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value))
        + "|" + string.Join(",", d.Delta.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value));

    [Fact]
    public async Task Command_reads_that_find_a_command_due_to_expire_do_not_race_each_others_writes()
    {
        // Reading commands expires the overdue ones and stores that: a read that writes. Two such reads must not
        // run interleaved (as [ReadOnly] methods would), or the second writes over the first with a stale ETag.
        var storage = new SharedTestStorage();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = false;
        int held = 0;
        storage.BeforeWrite = async (state, _) =>
        {
            if (state == "machine-schema" && Volatile.Read(ref holding))
            {
                Interlocked.Increment(ref held);
                await gate.Task;
            }
        };
        await using var g = await Grid.StartAsync(storage: storage);
        g.Gateway.Answer = _ => CommandDelivery.Delivered;
        var twin = await TwinAsync(g, "ro-m2");
        var ann = await AvatarAsync(g, "ro-bob", Interfaces.Avatars.AvatarRole.Worker, "ro-m2");
        await ann.IssueCommandAsync("ro-m2", "ro-short", "sp", null, TagValue.FromDouble(1), null, TimeSpan.FromSeconds(10));
        await ann.IssueCommandAsync("ro-m2", "ro-long", "sp", null, TagValue.FromDouble(2), null, TimeSpan.FromSeconds(20));

        Volatile.Write(ref holding, true);
        g.Clock.Advance(TimeSpan.FromSeconds(11));
        var first = twin.GetCommandAsync("ro-short");               // expires ro-short, its write is held
        await Until(() => Task.FromResult(Volatile.Read(ref held) >= 1), TimeSpan.FromSeconds(10), "the first expiry write");
        g.Clock.Advance(TimeSpan.FromSeconds(10));
        var second = twin.GetCommandAsync("ro-long");              // must wait for the first: it expires ro-long
        var list = twin.GetCommandsAsync();
        await Task.Delay(300);
        bool interleaved = second.IsCompleted, listInterleaved = list.IsCompleted;
        Volatile.Write(ref holding, false);
        gate.SetResult();
        // A read that writes must not run beside another one: the second answers only after the first's write.
        Assert.False(interleaved, "a command read ran interleaved with another that was still writing its expiry");
        Assert.False(listInterleaved, "a command list read ran interleaved with a command read that was still writing its expiry");
        Assert.Equal(CommandDeliveryStatus.Expired, (await Within(first, "the first read"))!.Status);
        Assert.Equal(CommandDeliveryStatus.Expired, (await Within(second, "the second read"))!.Status);
        Assert.All(await Within(list, "the list"), r => Assert.Equal(CommandDeliveryStatus.Expired, r.Status));
        Assert.Equal(CommandDeliveryStatus.Expired, (await twin.GetCommandAsync("ro-long"))!.Status);
    }

    [Fact]
    public async Task Reads_of_organizations_loops_avatars_assets_wallets_ledgers_and_identities_write_nothing()
    {
        await using var g = await Grid.StartAsync();
        var f = g.Factory;
        var org = f.GetGrain<IVirtualOrganizationGrain>("ro-line");
        await org.InitializeAsync(OrganizationKind.Line, "L");
        await org.AttachMachineAsync("ro-m3");
        await org.SetMemberAsync("ro-amy", OrganizationRole.Operator);
        var twin = await TwinAsync(g, "ro-m3");
        var loop = f.GetGrain<IControlLoopGrain>("ro-loop");
        await loop.ConfigureAsync(new ControlLoopConfiguration("ro-m3", "temp", "ro-m3", "heater", 50, ControlLawKind.Pid,
            TimeSpan.FromHours(1), 0, 100, 0, Pid: new PidParameters(1)));
        await twin.IngestAsync(Reading(g, "temp", 40, 1));
        await loop.RunOnceAsync();
        var avatar = await AvatarAsync(g, "ro-amy");
        await avatar.OpenSessionAsync(Interfaces.Avatars.InteractiveDevice.Hmd, "h1");
        var asset = f.GetGrain<IAssetGrain>("RO");
        await asset.RegisterAsync(new AssetRegistration(AssetKind.DigitalCurrency, "RO credit", "did:ro", "ro-bank"));
        await asset.MintAsync("m1", "ro-bank", "ro-w1", 100);
        await f.GetGrain<ITransferGrain>("ro-t1").ExecuteAsync(new TransferRequest("ro-t1", "ro-w1", "ro-w2", "RO", 10));
        var id = PhysicalIdentifier.Employee("RO-1");
        await f.RegisterIdentityAsync(id, "ro-amy");
        var shard = f.GetGrain<IIdentityRegistryGrain>(IdentityRegistry.ShardKey(IdentityRegistry.ShardOf(id)));
        var wallet = f.GetGrain<IWalletGrain>("ro-w1");
        var ledger = f.GetGrain<ILedgerGrain>(LedgerNames.Main);

        IAddressable[] all = [org, loop, avatar, asset, wallet, ledger, shard, f.GetGrain<ITransferGrain>("ro-t1"), twin];
        var before = ETags(g.Storage!, all);
        var reads = new List<Task>();
        for (int i = 0; i < 20; i++)
        {
            reads.AddRange([org.GetInfoAsync(), org.GetPathAsync(), org.GetAggregateAsync(), org.GetMembersAsync(), loop.GetStatusAsync(),
                avatar.GetSessionsAsync(), asset.GetInfoAsync(), wallet.GetSnapshotAsync(), wallet.GetBalanceAsync("RO"), wallet.HoldsAsync("x"),
                ledger.GetHeadAsync(), ledger.GetEntriesAsync(0, 10), ledger.FindAsync("mint:RO:m1"), ledger.VerifyAsync(),
                shard.ResolveAsync(id), shard.GetCountsAsync(), f.GetGrain<ITransferGrain>("ro-t1").GetReceiptAsync()]);
        }
        await Within(Task.WhenAll(reads), "the reads");
        Assert.Equal(before, ETags(g.Storage!, all));
    }
}
