using Imv.Grains.Interfaces.Identity;
using Xunit;

namespace Imv.Grains.Tests.Identity;

public sealed class IdentityRegistryGrainTests
{
    [Fact]
    public async Task Register_resolve_reverse_duplicate_and_notfound_through_the_shards()
    {
        await using var cluster = await GrainsTestCluster.StartAsync();
        var f = cluster.GrainFactory;
        var handle = IdentifierParser.Parse("88.100.1/press-01");
        var epc = PhysicalIdentifier.Rfid("3034F87C0B8D3C4000000001");
        var node = PhysicalIdentifier.GatewayNode("opc.tcp://plc-1:4840", "ns=2;s=Press01");
        const string machine = "site-1.line-01.machine-001";

        Assert.Equal(ResolutionStatus.NotFound, (await f.ResolveIdentityAsync(handle)).Status);
        foreach (var id in new[] { handle, epc, node })
            Assert.Equal(RegistrationStatus.Registered, (await f.RegisterIdentityAsync(id, machine)).Status);
        var dup = await f.RegisterIdentityAsync(IdentifierParser.Parse("88.100.1/PRESS-01"), "someone-else");
        Assert.Equal(RegistrationStatus.Duplicate, dup.Status);
        Assert.Equal(machine, dup.ExistingVirtualId);

        Assert.Equal(machine, (await f.ResolveIdentityAsync("88.100.1/Press-01")).VirtualId);
        Assert.Equal(machine, (await f.ResolveIdentityAsync(epc)).VirtualId);
        var reverse = await f.GetIdentifiersAsync(machine);
        Assert.Equal(new[] { handle, epc, node }.OrderBy(i => i.Canonical, StringComparer.Ordinal), reverse);

        Assert.True(await f.UnregisterIdentityAsync(epc));
        Assert.False(await f.UnregisterIdentityAsync(epc));
        Assert.Equal(ResolutionStatus.NotFound, (await f.ResolveIdentityAsync(epc)).Status);
        Assert.Equal(2, (await f.GetIdentifiersAsync(machine)).Count);

        // The wrong shard refuses, so a mis-routed call cannot create a binding no look-up would find.
        var wrong = IdentityRegistry.ShardKey((IdentityRegistry.ShardOf(handle) + 1) % IdentityRegistry.ShardCount);
        await Assert.ThrowsAnyAsync<Exception>(() => f.GetGrain<IIdentityRegistryGrain>(wrong).ResolveAsync(handle));
    }

    [Fact]
    public async Task Many_identities_spread_over_shards_and_resolve_in_bulk()
    {
        await using var cluster = await GrainsTestCluster.StartAsync();
        var f = cluster.GrainFactory;
        var ids = Enumerable.Range(0, 2000).Select(i => PhysicalIdentifier.Employee($"E{i:D5}")).ToList();
        await Task.WhenAll(ids.Select((id, i) => f.RegisterIdentityAsync(id, $"avatar-{i}")));
        var unknown = PhysicalIdentifier.Employee("NOPE");
        var resolved = await f.ResolveIdentitiesAsync(ids.Append(unknown).ToList());
        for (var i = 0; i < ids.Count; i++) Assert.Equal($"avatar-{i}", resolved[i].VirtualId);
        Assert.Equal(ResolutionStatus.NotFound, resolved[^1].Status);

        var counts = await Task.WhenAll(Enumerable.Range(0, IdentityRegistry.ShardCount)
            .Select(s => f.GetGrain<IIdentityRegistryGrain>(IdentityRegistry.ShardKey(s)).GetCountsAsync()));
        Assert.Equal(2000, counts.Sum(c => c.Bindings));
        Assert.Equal(2000, counts.Sum(c => c.ReverseEntries));
        Assert.Equal(0, counts.Sum(c => c.PendingReverse));
        Assert.True(counts.Max(c => c.Bindings) < 80, "a shard is a hot spot"); // mean 31
    }
}
