using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Xunit;

namespace Imv.Grains.Tests.Organizations;

public sealed class OrganizationGrainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Tree_aggregates_equal_the_sum_of_machine_statuses_after_random_changes()
    {
        await using var cluster = await GrainsTestCluster.StartAsync();
        var f = cluster.GrainFactory;
        var enterprise = f.GetGrain<IVirtualOrganizationGrain>("acme");
        await enterprise.InitializeAsync(OrganizationKind.Enterprise, "ACME");
        var lines = new List<IVirtualOrganizationGrain>();
        for (var s = 1; s <= 2; s++)
        {
            var site = f.GetGrain<IVirtualOrganizationGrain>($"site-{s}");
            await site.InitializeAsync(OrganizationKind.Factory, $"Site {s}");
            await enterprise.AddChildOrganizationAsync($"site-{s}");
            for (var l = 1; l <= 3; l++)
            {
                var line = f.GetGrain<IVirtualOrganizationGrain>($"site-{s}.line-{l}");
                await line.InitializeAsync(OrganizationKind.Line, $"Line {l}");
                await site.AddChildOrganizationAsync($"site-{s}.line-{l}");
                lines.Add(line);
            }
        }

        var rng = new Random(42);
        var last = new Dictionary<string, MachineStatus>();
        for (var step = 0; step < 400; step++)
        {
            var li = rng.Next(lines.Count);
            var id = $"m{li}-{rng.Next(5)}";
            var total = rng.Next(0, 1000);
            var status = new MachineStatus(id, (MachineRunState)rng.Next(5), rng.Next(3), TimeSpan.FromMinutes(60), TimeSpan.FromMinutes(rng.Next(61)),
                TimeSpan.FromSeconds(1), total, rng.Next(total + 1), T0.AddSeconds(step));
            await lines[li].ReportChildStatusAsync(id, status);
            last[id] = status;
        }

        var expected = last.Values.Aggregate(OrganizationAggregate.Empty, (a, s) => a + OrganizationAggregate.FromMachine(s));
        Assert.Equal(expected, await enterprise.GetAggregateAsync());
        var siteSum = OrganizationAggregate.Empty;
        for (var s = 1; s <= 2; s++) siteSum += await f.GetGrain<IVirtualOrganizationGrain>($"site-{s}").GetAggregateAsync();
        Assert.Equal(expected, siteSum);
        var lineSum = OrganizationAggregate.Empty;
        foreach (var line in lines) lineSum += await line.GetAggregateAsync();
        Assert.Equal(expected, lineSum);

        // Detaching a line's machine and removing a whole line propagate too.
        var someMachine = last.Keys.First(k => k.StartsWith("m0-", StringComparison.Ordinal));
        await lines[0].DetachMachineAsync(someMachine);
        expected -= OrganizationAggregate.FromMachine(last[someMachine]);
        Assert.Equal(expected, await enterprise.GetAggregateAsync());
        var line1 = await lines[1].GetAggregateAsync();
        await f.GetGrain<IVirtualOrganizationGrain>("site-1").RemoveChildOrganizationAsync("site-1.line-2");
        Assert.Equal(expected - line1, await enterprise.GetAggregateAsync());
        Assert.Null((await lines[1].GetInfoAsync()).ParentId);
    }

    [Fact]
    public async Task Tree_rules_and_members()
    {
        await using var cluster = await GrainsTestCluster.StartAsync();
        var f = cluster.GrainFactory;
        var factory = f.GetGrain<IVirtualOrganizationGrain>("f1");
        var line = f.GetGrain<IVirtualOrganizationGrain>("l1");
        var other = f.GetGrain<IVirtualOrganizationGrain>("f2");
        await factory.InitializeAsync(OrganizationKind.Factory, "F1");
        await other.InitializeAsync(OrganizationKind.Factory, "F2");
        await line.InitializeAsync(OrganizationKind.Line, "L1");
        await Assert.ThrowsAnyAsync<Exception>(() => line.AddChildOrganizationAsync("f1")); // a line cannot hold a factory
        await Assert.ThrowsAnyAsync<Exception>(() => factory.AddChildOrganizationAsync("nobody")); // not initialized
        await factory.AddChildOrganizationAsync("l1");
        await factory.AddChildOrganizationAsync("l1"); // idempotent
        await Assert.ThrowsAnyAsync<Exception>(() => other.AddChildOrganizationAsync("l1")); // one parent
        Assert.Equal("f1", (await line.GetInfoAsync()).ParentId);
        Assert.Equal(["l1"], (await factory.GetInfoAsync()).ChildOrganizations);

        await line.AttachMachineAsync("press-1");
        var agg = await factory.GetAggregateAsync();
        Assert.Equal(1, agg.MachineCount);
        Assert.Equal(1, agg.Unknown);

        await factory.SetMemberAsync("avatar-bob", OrganizationRole.Manager);
        await factory.SetMemberAsync("avatar-amy", OrganizationRole.Operator);
        await factory.SetMemberAsync("avatar-amy", OrganizationRole.Supervisor);
        var members = await factory.GetMembersAsync();
        Assert.Equal(["avatar-amy", "avatar-bob"], members.Select(m => m.MemberId));
        Assert.Equal(OrganizationRole.Supervisor, members[0].Role);
        Assert.True(await factory.RemoveMemberAsync("avatar-bob"));
        Assert.False(await factory.RemoveMemberAsync("avatar-bob"));
    }
}

public sealed class OrganizationConcurrencyTests
{
    [Fact]
    public async Task Tree_changes_while_reports_flow_neither_deadlock_nor_lose_counts()
    {
        await using var cluster = await GrainsTestCluster.StartAsync();
        var f = cluster.GrainFactory;
        var site = f.GetGrain<IVirtualOrganizationGrain>("cs-site");
        await site.InitializeAsync(OrganizationKind.Factory, "S");
        var lines = Enumerable.Range(0, 4).Select(i => f.GetGrain<IVirtualOrganizationGrain>($"cs-line-{i}")).ToArray();
        for (var i = 0; i < lines.Length; i++)
        {
            await lines[i].InitializeAsync(OrganizationKind.Line, $"L{i}");
            await site.AddChildOrganizationAsync($"cs-line-{i}");
        }

        var t0 = DateTimeOffset.UtcNow;
        // Eight concurrent reporters, half of them on the line that is removed and re-added all the time.
        var reports = Task.WhenAll(Enumerable.Range(0, 8).Select(r => Task.Run(async () =>
        {
            for (var k = 0; k < 150; k++)
            {
                var line = r % 2 == 0 ? 1 : k % lines.Length;
                var status = new MachineStatus($"m{line}-{k % 7}", (MachineRunState)(k % 5), k % 3, TimeSpan.FromHours(1), TimeSpan.FromMinutes(k % 60), TimeSpan.FromSeconds(1), k, k / 2, t0.AddTicks(k * 8 + r));
                await lines[line].ReportChildStatusAsync(status.MachineId, status);
            }
        })));
        var structure = Task.Run(async () =>
        {
            for (var k = 0; k < 100; k++)
            {
                await site.RemoveChildOrganizationAsync("cs-line-1");
                await site.AddChildOrganizationAsync("cs-line-1");
            }
        });
        var all = Task.WhenAll(reports, structure);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(20))));
        await all;

        // Let the last pushes settle, then the site is the sum of its lines.
        await Task.Delay(200);
        var sum = OrganizationAggregate.Empty;
        foreach (var line in lines) sum += await line.GetAggregateAsync();
        Assert.Equal(sum, await site.GetAggregateAsync());
        Assert.Equal(28, sum.MachineCount);
    }
}
