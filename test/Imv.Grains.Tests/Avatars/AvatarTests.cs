using Imv.Grains.Avatars;
using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Xunit;

namespace Imv.Grains.Tests.Avatars;

public class AvatarTests
{
    [Fact]
    public void Registration_rules()
    {
        AvatarState.Validate(new AvatarRegistration("Ann", AvatarKind.User, AvatarRole.Worker));
        AvatarState.Validate(new AvatarRegistration("Bot", AvatarKind.DigitalHuman, AvatarRole.Worker, DigitalHumanDriver.IntelligentDriven));
        AvatarState.Validate(new AvatarRegistration("Twin of Ann", AvatarKind.DigitalHuman, AvatarRole.Worker, DigitalHumanDriver.HumanDriven, "ann"));
        Assert.Throws<ArgumentException>(() => AvatarState.Validate(new AvatarRegistration("x", AvatarKind.DigitalHuman, AvatarRole.Worker)));
        Assert.Throws<ArgumentException>(() => AvatarState.Validate(new AvatarRegistration("x", AvatarKind.User, AvatarRole.Worker, DigitalHumanDriver.HumanDriven, "a")));
        Assert.Throws<ArgumentException>(() => AvatarState.Validate(new AvatarRegistration("x", AvatarKind.DigitalHuman, AvatarRole.Worker, DigitalHumanDriver.HumanDriven)));
        Assert.Throws<ArgumentException>(() => AvatarState.Validate(new AvatarRegistration("x", AvatarKind.DigitalHuman, AvatarRole.Worker, DigitalHumanDriver.IntelligentDriven, "a")));
        Assert.Throws<ArgumentException>(() => AvatarState.Validate(new AvatarRegistration(" ", AvatarKind.User, AvatarRole.Worker)));
        Assert.True(AvatarState.CanSupervise(AvatarRole.Supervisor, AvatarRole.Worker));
        Assert.False(AvatarState.CanSupervise(AvatarRole.Supervisor, AvatarRole.Supervisor));
        Assert.True(AvatarState.CanSupervise(AvatarRole.Manager, AvatarRole.Supervisor));
        Assert.False(AvatarState.CanSupervise(AvatarRole.Worker, AvatarRole.Worker));
        Assert.False(AvatarState.CanSupervise(AvatarRole.Manager, AvatarRole.Manager));
    }

    [Fact]
    public async Task Sessions_site_mode_and_supervision_through_the_grains_survive_a_crash()
    {
        await using var g = await Grid.StartAsync();
        var ann = g.Factory.GetGrain<IAvatarGrain>("ann");
        var sam = g.Factory.GetGrain<IAvatarGrain>("sam");
        var bot = g.Factory.GetGrain<IAvatarGrain>("bot");
        Assert.Null(await ann.GetProfileAsync());
        await ann.RegisterAsync(new AvatarRegistration("Ann", AvatarKind.User, AvatarRole.Worker));
        await sam.RegisterAsync(new AvatarRegistration("Sam", AvatarKind.User, AvatarRole.Supervisor, SiteMode: SiteMode.Remote));
        await bot.RegisterAsync(new AvatarRegistration("Inspector", AvatarKind.DigitalHuman, AvatarRole.Worker, DigitalHumanDriver.IntelligentDriven));

        var hmd = await ann.OpenSessionAsync(InteractiveDevice.Hmd, "hmd-17");
        Assert.Equal(hmd, await ann.OpenSessionAsync(InteractiveDevice.Hmd, "hmd-17"));
        var glove = await ann.OpenSessionAsync(InteractiveDevice.Haptic, "glove-3");
        await ann.SetSiteModeAsync(SiteMode.Remote);

        await sam.SuperviseAsync("ann");
        await sam.SuperviseAsync("bot");
        await Assert.ThrowsAnyAsync<Exception>(() => ann.SuperviseAsync("bot"));        // a worker supervises nobody
        await Assert.ThrowsAnyAsync<Exception>(() => sam.SuperviseAsync("nobody"));     // not registered

        await g.KillOwnerOfAsync(ann);
        var seen = await sam.GetSupervisedAsync();
        Assert.Equal(["ann", "bot"], seen.Select(v => v.Profile.AvatarId).Order());
        var annView = seen.Single(v => v.Profile.AvatarId == "ann");
        Assert.Equal(SiteMode.Remote, annView.Profile.SiteMode);
        Assert.Equal(["sam"], annView.Profile.SupervisorIds);
        Assert.Equal([hmd.SessionId, glove.SessionId], annView.Sessions.Select(s => s.SessionId));
        Assert.Equal(DigitalHumanDriver.IntelligentDriven, seen.Single(v => v.Profile.AvatarId == "bot").Profile.Driver);

        Assert.True(await ann.CloseSessionAsync(hmd.SessionId));
        Assert.False(await ann.CloseSessionAsync(hmd.SessionId));
        Assert.True(await sam.StopSupervisingAsync("bot"));
        Assert.Empty((await bot.GetProfileAsync())!.SupervisorIds);
        Assert.Single(await sam.GetSupervisedAsync());
    }

    [Fact]
    public async Task An_avatar_commands_as_itself_and_an_inactive_one_cannot()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("robot-1");
        await twin.ConfigureAsync(new TwinConfiguration(Tags: [new TagMetadata("speed", TagDataType.Integer, Writable: true, Maximum: 10)]));
        await twin.DescribeAsync(new TwinDescription("robot-1", "gw1", []));
        var bot = g.Factory.GetGrain<IAvatarGrain>("bot");
        await bot.RegisterAsync(new AvatarRegistration("Operator bot", AvatarKind.DigitalHuman, AvatarRole.Worker, DigitalHumanDriver.IntelligentDriven, Scopes: ["robot-1"]));
        var r = await bot.IssueCommandAsync("robot-1", "b1", "speed", null, TagValue.FromInteger(5), null, null);
        Assert.Equal(CommandDeliveryStatus.Applied, r.Status);
        Assert.Equal((IssuerKind.Avatar, "bot"), (r.Envelope.IssuerKind, r.Envelope.Issuer));
        var lease = await bot.AcquireLeaseAsync("robot-1", TimeSpan.FromMinutes(1));
        Assert.True(lease.Granted);
        Assert.True(await bot.ReleaseLeaseAsync("robot-1"));
        await bot.SetActiveAsync(false);
        Assert.Empty(await bot.GetSessionsAsync());
        var refused = await bot.IssueCommandAsync("robot-1", "b2", "speed", null, TagValue.FromInteger(6), null, null);
        Assert.Equal(CommandDeliveryStatus.Rejected, refused.Status);
        Assert.Contains("inactive", refused.Reason);
    }
}
