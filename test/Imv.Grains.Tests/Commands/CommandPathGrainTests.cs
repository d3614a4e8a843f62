using Imv.Grains.Commands;
using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Xunit;

namespace Imv.Grains.Tests.Commands;

public class CommandPathGrainTests
{
    private static TwinConfiguration Config(CouplingMode coupling = CouplingMode.MutualDependence, bool readBack = false) => new(
        Coupling: coupling,
        OrganizationId: "line-1",
        Tags: [new TagMetadata("sp", TagDataType.Double, "degC", Writable: true, Minimum: 0, Maximum: 100),
               new TagMetadata("temp", TagDataType.Double)],
        ControlLoops: ["loop-1"],
        Methods: ["Reset"],
        RequireReadBack: readBack,
        ReadBackTimeout: TimeSpan.FromSeconds(5));

    private static async Task<IMachineGrain> TwinAsync(Grid g, string id, TwinConfiguration config)
    {
        var twin = g.Factory.GetGrain<IMachineGrain>(id);
        await twin.ConfigureAsync(config);
        await twin.DescribeAsync(new TwinDescription(id, "gw1", []));
        return twin;
    }

    private static async Task<IAvatarGrain> AvatarAsync(Grid g, string id, params string[] scopes)
    {
        var avatar = g.Factory.GetGrain<IAvatarGrain>(id);
        await avatar.RegisterAsync(new AvatarRegistration(id, AvatarKind.User, AvatarRole.Worker, Scopes: scopes));
        return avatar;
    }

    [Fact]
    public async Task An_authorized_command_goes_out_once_and_is_idempotent()
    {
        await using var g = await Grid.StartAsync();
        var twin = await TwinAsync(g, "m1", Config());
        var alice = await AvatarAsync(g, "alice", "line-1");
        var r = await alice.IssueCommandAsync("m1", "c1", "sp", null, TagValue.FromInteger(42), null, null);
        Assert.Equal(CommandDeliveryStatus.Applied, r.Status);
        Assert.Equal([CommandDeliveryStatus.Issued, CommandDeliveryStatus.Applied], r.Transitions.Select(t => t.Status));
        Assert.Equal(IssuerKind.Avatar, r.Envelope.IssuerKind);
        Assert.Equal("alice", r.Envelope.Issuer);
        Assert.Equal(TagValue.FromDouble(42), r.Envelope.Payload);     // normalized to the tag's type
        var sent = Assert.Single(g.Gateway.Sent);
        Assert.Equal(("c1", "m1", "sp"), (sent.CommandId, sent.TwinId, sent.Tag));
        var again = await alice.IssueCommandAsync("m1", "c1", "sp", null, TagValue.FromInteger(43), null, null);
        Assert.Equal(r.Transitions, again.Transitions);
        Assert.Equal(r.Envelope.Payload, again.Envelope.Payload);
        Assert.Single(g.Gateway.Sent);
        Assert.Equal(CommandDeliveryStatus.Applied, (await twin.GetCommandAsync("c1"))!.Status);
    }

    [Fact]
    public async Task A_refused_command_keeps_a_large_value_only_as_a_note_of_its_size()
    {
        await using var g = await Grid.StartAsync();
        await TwinAsync(g, "m9", Config());
        var bob = await AvatarAsync(g, "bob", "m9");
        var huge = TagValue.FromArray(new double[10_000]);
        var refused = await bob.IssueCommandAsync("m9", "big", "sp", null, huge, null, null);
        Assert.Equal(CommandDeliveryStatus.Rejected, refused.Status);
        Assert.StartsWith("interlock:", refused.Reason);
        Assert.Equal("(refused DoubleArray of 10000 elements, 80000 bytes: not kept)", refused.Envelope.Payload.AsString());
        // Stored that way: the twin answers the same record after it reloads.
        await g.KillOwnerOfAsync(g.Factory.GetGrain<IMachineGrain>("m9"));
        Assert.Equal(refused.Envelope.Payload, (await g.Factory.GetGrain<IMachineGrain>("m9").GetCommandAsync("big"))!.Envelope.Payload);
        // A small refused value is kept as it was.
        var small = await bob.IssueCommandAsync("m9", "small", "sp", null, TagValue.FromString("hot"), null, null);
        Assert.Equal(CommandDeliveryStatus.Rejected, small.Status);
        Assert.Equal("hot", small.Envelope.Payload.AsString());
        Assert.Equal(8, RefusedPayload.Size(TagValue.FromDouble(1)));
        Assert.Equal(TagValue.FromString(new string('x', 256)), RefusedPayload.Trim(TagValue.FromString(new string('x', 256))));
        Assert.StartsWith("(refused String, 257 bytes", RefusedPayload.Trim(TagValue.FromString(new string('x', 257))).AsString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checks_reject_in_order_and_nothing_leaves()
    {
        await using var g = await Grid.StartAsync();
        var twin = await TwinAsync(g, "m2", Config());
        var alice = await AvatarAsync(g, "alice", "m2");
        var bob = await AvatarAsync(g, "bob", "m2");
        var mallory = await AvatarAsync(g, "mallory");

        var unknown = await twin.SubmitCommandAsync(new CommandRequest("u1", IssuerKind.Avatar, "ghost", "sp", null, TagValue.FromDouble(1)));
        Assert.Equal(CommandDeliveryStatus.Rejected, unknown.Status);
        Assert.StartsWith("issuer:", unknown.Reason);
        Assert.StartsWith("issuer:", (await mallory.IssueCommandAsync("m2", "u2", "sp", null, TagValue.FromDouble(1), null, null)).Reason);
        Assert.StartsWith("issuer:", (await twin.SubmitCommandAsync(new CommandRequest("u3", IssuerKind.ControlLoop, "loop-9", "sp", null, TagValue.FromDouble(1)))).Reason);

        Assert.True((await bob.AcquireLeaseAsync("m2", TimeSpan.FromMinutes(1))).Granted);
        Assert.False((await alice.AcquireLeaseAsync("m2", TimeSpan.FromMinutes(1))).Granted);
        Assert.False((await mallory.AcquireLeaseAsync("m2", TimeSpan.FromMinutes(1))).Granted);
        Assert.StartsWith("lease:", (await alice.IssueCommandAsync("m2", "l1", "sp", null, TagValue.FromDouble(1), null, null)).Reason);
        Assert.StartsWith("lease:", (await twin.SubmitCommandAsync(new CommandRequest("l2", IssuerKind.ControlLoop, "loop-1", "sp", null, TagValue.FromDouble(1)))).Reason);
        Assert.StartsWith("interlock:", (await bob.IssueCommandAsync("m2", "i1", "sp", null, TagValue.FromDouble(101), null, null)).Reason);
        Assert.StartsWith("interlock:", (await bob.IssueCommandAsync("m2", "i2", "temp", null, TagValue.FromDouble(1), null, null)).Reason);
        Assert.StartsWith("interlock:", (await bob.IssueCommandAsync("m2", "i3", "sp", null, TagValue.FromString("hot"), null, null)).Reason);
        Assert.Empty(g.Gateway.Sent);
        Assert.Equal(CommandDeliveryStatus.Applied, (await bob.IssueCommandAsync("m2", "ok", "sp", null, TagValue.FromDouble(10), null, null)).Status);

        // The lease lapses: others may command again.
        g.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Null(await twin.GetLeaseAsync());
        Assert.Equal(CommandDeliveryStatus.Applied, (await alice.IssueCommandAsync("m2", "a1", "sp", null, TagValue.FromDouble(11), null, null)).Status);

        await twin.ConfigureAsync(Config(CouplingMode.OneWayInfluence));
        Assert.StartsWith("coupling:", (await alice.IssueCommandAsync("m2", "o1", "sp", null, TagValue.FromDouble(12), null, null)).Reason);
        Assert.Equal(2, g.Gateway.Sent.Count);
    }

    [Fact]
    public async Task Read_back_confirms_applied_and_its_absence_expires()
    {
        await using var g = await Grid.StartAsync();
        g.Gateway.Answer = _ => CommandDelivery.Delivered;
        var twin = await TwinAsync(g, "m3", Config(readBack: true));
        var alice = await AvatarAsync(g, "alice", "m3");
        var r = await alice.IssueCommandAsync("m3", "rb1", "sp", null, TagValue.FromDouble(30), null, TimeSpan.FromSeconds(30));
        Assert.Equal(CommandDeliveryStatus.Delivered, r.Status);
        Assert.NotNull(r.ReadBackDeadline);
        await twin.ReportCommandOutcomeAsync("rb1", CommandDeliveryStatus.Applied, null);
        Assert.Equal(CommandDeliveryStatus.Acked, (await twin.GetCommandAsync("rb1"))!.Status);
        g.Clock.Advance(TimeSpan.FromSeconds(1));
        await twin.IngestAsync(new TagBatch([new TagUpdate("sp", TagValue.FromDouble(30), TagQuality.Good, g.Clock.Now, 1)]));
        var applied = (await twin.GetCommandAsync("rb1"))!;
        Assert.Equal(CommandDeliveryStatus.Applied, applied.Status);
        Assert.Equal([CommandDeliveryStatus.Issued, CommandDeliveryStatus.Delivered, CommandDeliveryStatus.Acked, CommandDeliveryStatus.Applied],
            applied.Transitions.Select(t => t.Status));
        Assert.True(applied.Transitions.Zip(applied.Transitions.Skip(1)).All(p => p.First.At <= p.Second.At));

        await alice.IssueCommandAsync("m3", "rb2", "sp", null, TagValue.FromDouble(31), null, TimeSpan.FromSeconds(30));
        g.Clock.Advance(TimeSpan.FromSeconds(6));
        var expired = (await twin.GetCommandAsync("rb2"))!;
        Assert.Equal(CommandDeliveryStatus.Expired, expired.Status);
        Assert.Contains("read-back", expired.Reason);
        // A late confirmation changes nothing.
        await twin.ReportCommandOutcomeAsync("rb2", CommandDeliveryStatus.Applied, null);
        Assert.Equal(CommandDeliveryStatus.Expired, (await twin.GetCommandAsync("rb2"))!.Status);
    }

    [Fact]
    public async Task Plant_rejection_no_gateway_and_simulation_only_twins()
    {
        await using var g = await Grid.StartAsync();
        g.Gateway.Answer = _ => CommandDelivery.Rejected("BadNotWritable");
        await TwinAsync(g, "m4", Config());
        var alice = await AvatarAsync(g, "alice", "line-1");
        var r = await alice.IssueCommandAsync("m4", "p1", "sp", null, TagValue.FromDouble(5), null, null);
        Assert.Equal(CommandDeliveryStatus.Rejected, r.Status);
        Assert.Equal("plant: BadNotWritable", r.Reason);

        var orphan = g.Factory.GetGrain<IMachineGrain>("m5");
        await orphan.ConfigureAsync(Config());
        Assert.StartsWith("gateway:", (await alice.IssueCommandAsync("m5", "p2", "sp", null, TagValue.FromDouble(5), null, null)).Reason);

        var sim = g.Factory.GetGrain<IMachineGrain>("m6");
        await sim.ConfigureAsync(Config(CouplingMode.NoLinks));
        var s = await alice.IssueCommandAsync("m6", "p3", "sp", null, TagValue.FromDouble(7), null, null);
        Assert.Equal(CommandDeliveryStatus.Applied, s.Status);
        Assert.StartsWith("simulated", s.Reason);
        Assert.Equal(7.0, (await sim.GetTagAsync("sp"))!.Value.AsDouble());
        Assert.Single(g.Gateway.Sent);   // only m4's command reached a gateway
    }

    [Fact]
    public async Task A_slow_gateway_does_not_hold_the_twin_and_its_late_answer_still_counts()
    {
        await using var g = await Grid.StartAsync();
        var release = new TaskCompletionSource();
        g.Gateway.Hold = release.Task;
        g.Gateway.Answer = _ => CommandDelivery.Delivered;
        var twin = await TwinAsync(g, "m8", Config());
        var alice = await AvatarAsync(g, "alice", "m8");
        var issued = await alice.IssueCommandAsync("m8", "slow", "sp", null, TagValue.FromDouble(3), null, TimeSpan.FromMinutes(1));
        Assert.Equal(CommandDeliveryStatus.Issued, issued.Status);
        Assert.Equal(1, (await twin.IngestAsync(new TagBatch([new TagUpdate("temp", TagValue.FromDouble(1), TagQuality.Good, g.Clock.Now, 1)]))).Applied);
        release.SetResult();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while ((await twin.GetCommandAsync("slow"))!.Status != CommandDeliveryStatus.Delivered)
        {
            Assert.True(DateTime.UtcNow < deadline, "the late answer never arrived");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_method_call_goes_out_with_its_arguments_and_returns_outputs()
    {
        await using var g = await Grid.StartAsync();
        g.Gateway.Answer = c => new CommandDelivery(CommandDeliveryStatus.Applied, null, [TagValue.FromString("reset by " + c.Method)]);
        var twin = await TwinAsync(g, "m9", Config());
        var r = await twin.SubmitCommandAsync(new CommandRequest("reset-1", IssuerKind.ControlLoop, "loop-1", null, "Reset", default, [TagValue.FromInteger(3)]));
        Assert.Equal(CommandDeliveryStatus.Applied, r.Status);
        Assert.Equal(TagValue.FromString("reset by Reset"), Assert.Single(r.Outputs!));
        var sent = Assert.Single(g.Gateway.Sent);
        Assert.Equal(("Reset", (string?)null), (sent.Method, sent.Tag));
        Assert.Equal(TagValue.FromInteger(3), Assert.Single(sent.Arguments));
    }

    [Fact]
    public async Task A_crash_loses_no_command_state_or_lease()
    {
        await using var g = await Grid.StartAsync();
        g.Gateway.Answer = _ => CommandDelivery.Delivered;
        var twin = await TwinAsync(g, "m7", Config());
        var bob = await AvatarAsync(g, "bob", "m7");
        await bob.AcquireLeaseAsync("m7", TimeSpan.FromMinutes(10));
        await bob.IssueCommandAsync("m7", "k1", "sp", null, TagValue.FromDouble(20), null, TimeSpan.FromMinutes(5));
        await twin.ReportCommandOutcomeAsync("k1", CommandDeliveryStatus.Acked, "device ack");
        var before = await twin.GetCommandAsync("k1");
        await g.KillOwnerOfAsync(twin);
        var after = await twin.GetCommandAsync("k1");
        Assert.Equal(before!.Status, after!.Status);
        Assert.Equal(before.Transitions.Count, after.Transitions.Count);
        Assert.Equal("bob", (await twin.GetLeaseAsync())!.Holder);
        await twin.ReportCommandOutcomeAsync("k1", CommandDeliveryStatus.Applied, null);
        Assert.Equal(CommandDeliveryStatus.Applied, (await twin.GetCommandAsync("k1"))!.Status);
        // Idempotency survives the crash too.
        Assert.Equal(CommandDeliveryStatus.Applied, (await bob.IssueCommandAsync("m7", "k1", "sp", null, TagValue.FromDouble(99), null, null)).Status);
        Assert.Single(g.Gateway.Sent);
    }
}
