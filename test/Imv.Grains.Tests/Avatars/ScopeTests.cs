using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Xunit;

namespace Imv.Grains.Tests.Avatars;

/// <summary>An avatar scoped to an organization may command every twin below it in the containment tree.</summary>
public class ScopeTests
{
    // ent > fac-1 > ws-1 > line-1 (m1), line-2 (m2); ent > fac-2 > ws-2
    private static async Task TreeAsync(Grid g)
    {
        async Task<IVirtualOrganizationGrain> Org(string id, OrganizationKind kind)
        {
            var o = g.Factory.GetGrain<IVirtualOrganizationGrain>(id);
            await o.InitializeAsync(kind, id);
            return o;
        }
        var ent = await Org("ent", OrganizationKind.Enterprise);
        var fac1 = await Org("fac-1", OrganizationKind.Factory);
        var fac2 = await Org("fac-2", OrganizationKind.Factory);
        var ws1 = await Org("ws-1", OrganizationKind.Workshop);
        var ws2 = await Org("ws-2", OrganizationKind.Workshop);
        await Org("line-1", OrganizationKind.Line);
        await Org("line-2", OrganizationKind.Line);
        // Leaves first and root last, so the ancestry must travel down when an upper level is attached later.
        await ws1.AddChildOrganizationAsync("line-1");
        await ws1.AddChildOrganizationAsync("line-2");
        await fac1.AddChildOrganizationAsync("ws-1");
        await fac2.AddChildOrganizationAsync("ws-2");
        await ent.AddChildOrganizationAsync("fac-1");
        await ent.AddChildOrganizationAsync("fac-2");
    }

    private static async Task<IMachineGrain> TwinAsync(Grid g, string id, string org)
    {
        var twin = g.Factory.GetGrain<IMachineGrain>(id);
        await twin.ConfigureAsync(new TwinConfiguration(OrganizationId: org,
            Tags: [new TagMetadata("sp", TagDataType.Double, Writable: true, Minimum: 0, Maximum: 100)]));
        await twin.DescribeAsync(new TwinDescription(id, "gw1", []));
        return twin;
    }

    private static async Task<IAvatarGrain> AvatarAsync(Grid g, string id, AvatarRole role, params string[] scopes)
    {
        var avatar = g.Factory.GetGrain<IAvatarGrain>(id);
        await avatar.RegisterAsync(new AvatarRegistration(id, AvatarKind.User, role, Scopes: scopes));
        return avatar;
    }

    private static Task<CommandRecord> Write(IAvatarGrain avatar, string twin, string commandId) =>
        avatar.IssueCommandAsync(twin, commandId, "sp", null, TagValue.FromDouble(10), null, null);

    [Fact]
    public async Task A_manager_scoped_to_a_factory_commands_a_lines_machine_and_a_worker_of_another_line_is_refused()
    {
        await using var g = await Grid.StartAsync();
        await TreeAsync(g);
        await TwinAsync(g, "m1", "line-1");
        Assert.Equal(["ent", "fac-1", "ws-1", "line-1"], await g.Factory.GetGrain<IVirtualOrganizationGrain>("line-1").GetPathAsync());
        Assert.Equal(["ent", "fac-1", "ws-1"], (await g.Factory.GetGrain<IVirtualOrganizationGrain>("line-1").GetInfoAsync()).Ancestors);

        var manager = await AvatarAsync(g, "manager", AvatarRole.Manager, "fac-1");
        var supervisor = await AvatarAsync(g, "supervisor", AvatarRole.Supervisor, "ws-1");
        var chief = await AvatarAsync(g, "chief", AvatarRole.Manager, "ent");
        var worker2 = await AvatarAsync(g, "worker-2", AvatarRole.Worker, "line-2");
        var other = await AvatarAsync(g, "manager-2", AvatarRole.Manager, "fac-2");

        Assert.Equal(CommandDeliveryStatus.Applied, (await Write(manager, "m1", "c1")).Status);
        Assert.Equal(CommandDeliveryStatus.Applied, (await Write(supervisor, "m1", "c2")).Status);
        Assert.Equal(CommandDeliveryStatus.Applied, (await Write(chief, "m1", "c3")).Status);

        var refused = await Write(worker2, "m1", "c4");
        Assert.Equal(CommandDeliveryStatus.Rejected, refused.Status);
        Assert.StartsWith("issuer: avatar 'worker-2' may not command this twin", refused.Reason);
        Assert.Contains("[line-2]", refused.Reason);
        Assert.Contains("ent > fac-1 > ws-1 > line-1", refused.Reason);
        Assert.Equal(CommandDeliveryStatus.Rejected, (await Write(other, "m1", "c5")).Status);

        // The operator lease follows the same scopes.
        var m1 = g.Factory.GetGrain<IMachineGrain>("m1");
        Assert.True((await manager.AcquireLeaseAsync("m1", TimeSpan.FromMinutes(1))).Granted);
        Assert.True(await manager.ReleaseLeaseAsync("m1"));
        var lease = await worker2.AcquireLeaseAsync("m1", TimeSpan.FromMinutes(1));
        Assert.False(lease.Granted);
        Assert.StartsWith("lease: avatar 'worker-2' may not command this twin", lease.Reason);
        Assert.Equal(3, g.Gateway.Sent.Count);
        Assert.Null(await m1.GetLeaseAsync());
    }

    [Fact]
    public async Task Moving_a_line_to_another_factory_changes_who_may_command_its_machines_and_survives_a_restart()
    {
        var storage = new SharedTestStorage();
        await using (var g = await Grid.StartAsync(storage: storage))
        {
            await TreeAsync(g);
            await TwinAsync(g, "m1", "line-1");
            var manager1 = await AvatarAsync(g, "manager-1", AvatarRole.Manager, "fac-1");
            var manager2 = await AvatarAsync(g, "manager-2", AvatarRole.Manager, "fac-2");
            var supervisor1 = await AvatarAsync(g, "supervisor-1", AvatarRole.Supervisor, "ws-1");
            var worker1 = await AvatarAsync(g, "worker-1", AvatarRole.Worker, "line-1");
            Assert.Equal(CommandDeliveryStatus.Applied, (await Write(manager1, "m1", "a1")).Status);
            Assert.Equal(CommandDeliveryStatus.Rejected, (await Write(manager2, "m1", "a2")).Status);

            // Move line-1 from ws-1 (fac-1) to ws-2 (fac-2).
            await g.Factory.GetGrain<IVirtualOrganizationGrain>("ws-1").RemoveChildOrganizationAsync("line-1");
            Assert.Equal(["line-1"], await g.Factory.GetGrain<IVirtualOrganizationGrain>("line-1").GetPathAsync());
            Assert.Equal(CommandDeliveryStatus.Rejected, (await Write(manager1, "m1", "a3")).Status);
            await g.Factory.GetGrain<IVirtualOrganizationGrain>("ws-2").AddChildOrganizationAsync("line-1");

            Assert.Equal(CommandDeliveryStatus.Applied, (await Write(manager2, "m1", "a4")).Status);
            var refused = await Write(manager1, "m1", "a5");
            Assert.Equal(CommandDeliveryStatus.Rejected, refused.Status);
            Assert.Contains("ent > fac-2 > ws-2 > line-1", refused.Reason);
            Assert.Equal(CommandDeliveryStatus.Rejected, (await Write(supervisor1, "m1", "a6")).Status);
            Assert.Equal(CommandDeliveryStatus.Applied, (await Write(worker1, "m1", "a7")).Status);   // direct scope: unchanged

            // Moving a whole workshop carries its lines along.
            await g.Factory.GetGrain<IVirtualOrganizationGrain>("fac-2").RemoveChildOrganizationAsync("ws-2");
            await g.Factory.GetGrain<IVirtualOrganizationGrain>("fac-1").AddChildOrganizationAsync("ws-2");
            Assert.Equal(["ent", "fac-1", "ws-2", "line-1"], await g.Factory.GetGrain<IVirtualOrganizationGrain>("line-1").GetPathAsync());
            Assert.Equal(CommandDeliveryStatus.Applied, (await Write(manager1, "m1", "a8")).Status);
            Assert.Equal(CommandDeliveryStatus.Rejected, (await Write(manager2, "m1", "a9")).Status);
            await g.KillAllSilosAsync();
        }

        await using (var g = await Grid.StartAsync(storage: storage))
        {
            Assert.Equal(["ent", "fac-1", "ws-2", "line-1"], await g.Factory.GetGrain<IVirtualOrganizationGrain>("line-1").GetPathAsync());
            Assert.Equal(CommandDeliveryStatus.Applied, (await Write(g.Factory.GetGrain<IAvatarGrain>("manager-1"), "m1", "b1")).Status);
            Assert.Equal(CommandDeliveryStatus.Rejected, (await Write(g.Factory.GetGrain<IAvatarGrain>("manager-2"), "m1", "b2")).Status);
        }
    }
}
