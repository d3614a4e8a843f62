using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Xunit;

namespace Imv.Grains.Tests.Machines;

public class SqliteRestartTests
{
    [Fact]
    public async Task A_whole_grid_restart_on_sqlite_loses_nothing_acknowledged()
    {
        string dir = Path.Combine(Path.GetTempPath(), "imv-twins-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // The real SQLite provider (grain storage and reminders on one file): one silo, since a file has one owner.
            string path = Path.Combine(dir, "grid.db");
            TwinSnapshot before;
            CommandRecord command;
            await using (var g = await Grid.StartAsync(silos: 1, sqlitePath: path))
            {
                var twin = g.Factory.GetGrain<IMachineGrain>("press-9");
                await twin.ConfigureAsync(new TwinConfiguration(TwinKind.Product, OrganizationId: "line-1",
                    Tags: [new TagMetadata("sp", TagDataType.Double, "bar", Writable: true, Maximum: 10),
                           new TagMetadata("recipe", TagDataType.StringArray)],
                    AlarmBands: [new AlarmBand("p", High: 5)], ControlLoops: ["loop-9"]));
                await twin.DescribeAsync(new TwinDescription("press-9", "gw1", []));
                var now = g.Clock.Now;
                await twin.IngestAsync(new TagBatch([
                    new TagUpdate("p", TagValue.FromDouble(6), TagQuality.Good, now, 1),
                    new TagUpdate("recipe", TagValue.FromArray(new[] { "a", "b" }), TagQuality.Good, now, 1),
                    new TagUpdate("count", TagValue.FromInteger(42), TagQuality.Uncertain, now, 7)]));
                await twin.SetDesiredAsync(new DesiredUpdate(new Dictionary<string, TagValue> { ["sp"] = TagValue.FromDouble(4) }));
                var ann = g.Factory.GetGrain<IAvatarGrain>("ann");
                await ann.RegisterAsync(new AvatarRegistration("Ann", AvatarKind.User, AvatarRole.Worker, Scopes: ["line-1"]));
                await ann.OpenSessionAsync(InteractiveDevice.SmartGlasses, "g-1");
                await ann.AcquireLeaseAsync("press-9", TimeSpan.FromHours(1));
                command = await ann.IssueCommandAsync("press-9", "cmd-1", "sp", null, TagValue.FromDouble(4), null, TimeSpan.FromHours(1));
                var loop = g.Factory.GetGrain<IControlLoopGrain>("loop-9");
                await loop.ConfigureAsync(new ControlLoopConfiguration("press-9", "p", "press-9", "sp", 4, ControlLawKind.Pid,
                    TimeSpan.FromSeconds(1), 0, 10, 0, Pid: new PidParameters(1)));
                before = await twin.GetSnapshotAsync();
                await g.StopAllSilosAsync();   // the whole grid stops; the file is closed
            }
            await using (var g = await Grid.StartAsync(silos: 1, sqlitePath: path))
            {
                var twin = g.Factory.GetGrain<IMachineGrain>("press-9");
                var after = await twin.GetSnapshotAsync();
                Assert.Equal(TwinKind.Product, after.Kind);
                Assert.Equal(before.Tags.Select(t => (t.Name, t.Value, t.Sequence, t.SourceTimestamp)), after.Tags.Select(t => (t.Name, t.Value, t.Sequence, t.SourceTimestamp)));
                Assert.Equal(TagQuality.Uncertain, after.Tags.Single(t => t.Name == "count").Quality);
                Assert.Equal((before.AppliedCount, before.StaleCount), (after.AppliedCount, after.StaleCount));
                Assert.Equal(AlarmLevel.High, Assert.Single(await twin.GetActiveAlarmsAsync()).Level);
                Assert.Single(await twin.GetAlarmHistoryAsync());
                Assert.Equal(TagValue.FromDouble(4), (await twin.GetShadowAsync()).Desired["sp"]);
                Assert.Equal("ann", (await twin.GetLeaseAsync())!.Holder);
                var stored = (await twin.GetCommandAsync("cmd-1"))!;
                Assert.Equal(command.Status, stored.Status);
                Assert.Equal(command.Transitions, stored.Transitions);
                Assert.Equal(IssuerKind.Avatar, stored.Envelope.IssuerKind);
                Assert.Single(await g.Factory.GetGrain<IAvatarGrain>("ann").GetSessionsAsync());
                var loop = await g.Factory.GetGrain<IControlLoopGrain>("loop-9").GetStatusAsync();
                Assert.Equal(ControlLawKind.Pid, loop.Configuration!.Law);
                Assert.Equal(1, loop.Configuration.Pid!.Kp);
            }
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
