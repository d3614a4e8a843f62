using Imv.Grains.Interfaces.Avatars;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;
using Imv.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Xunit;

namespace Imv.Grains.Tests.Machines;

/// <summary>A twin stored by the earlier layout (commands, lease and alarm events in a state of their own,
/// "machine-log") keeps them: its first activation merges them into "machine-schema" and clears the old record.</summary>
public class LegacyLogLayoutTests
{
    [Fact]
    public async Task A_twin_stored_with_a_separate_log_state_keeps_its_commands_lease_and_alarms()
    {
        var storage = new SharedTestStorage();
        await using var services = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(MachineSchemaState).Assembly).AddAssembly(typeof(TagValue).Assembly))
            .BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var twinId = "legacy-press";
        GrainId grainId;
        await using (var g = await Grid.StartAsync(silos: 1, storage: storage))
        {
            g.Gateway.Answer = _ => Interfaces.Commands.CommandDelivery.Delivered;
            var twin = g.Factory.GetGrain<IMachineGrain>(twinId);
            grainId = twin.GetGrainId();
            await twin.ConfigureAsync(new TwinConfiguration(TwinKind.Product, OrganizationId: "line-1",
                Tags: [new TagMetadata("sp", TagDataType.Double, "bar", Writable: true, Maximum: 10)],
                AlarmBands: [new AlarmBand("p", High: 5)]));
            await twin.DescribeAsync(new TwinDescription(twinId, "gw1", []));
            await twin.IngestAsync(new TagBatch([new TagUpdate("p", TagValue.FromDouble(6), TagQuality.Good, g.Clock.Now, 1)]));
            var ann = g.Factory.GetGrain<IAvatarGrain>("legacy-ann");
            await ann.RegisterAsync(new AvatarRegistration("Ann", AvatarKind.User, AvatarRole.Worker, Scopes: ["line-1"]));
            await ann.AcquireLeaseAsync(twinId, TimeSpan.FromHours(1));
            await ann.IssueCommandAsync(twinId, "legacy-cmd", "sp", null, TagValue.FromDouble(4), null, TimeSpan.FromHours(1));
            await g.StopAllSilosAsync();

            // Rewrite the stored twin as the earlier layout wrote it.
            var current = storage.Read("machine-schema", grainId)!;
            var schema = serializer.Deserialize<MachineSchemaState>(current.Data)!;
            var log = new MachineLogState { Commands = schema.Commands, Lease = schema.Lease, AlarmHistory = schema.AlarmHistory };
            Assert.NotEmpty(log.Commands.Records);
            storage.Write("machine-log", grainId, serializer.SerializeToArray(log), null);
            var stripped = new MachineSchemaState { Configuration = schema.Configuration, Tags = schema.Tags };
            storage.Write("machine-schema", grainId, serializer.SerializeToArray(stripped), current.ETag);
        }

        await using (var g = await Grid.StartAsync(silos: 1, storage: storage))
        {
            var twin = g.Factory.GetGrain<IMachineGrain>(twinId);
            Assert.NotNull(await twin.GetCommandAsync("legacy-cmd"));
            Assert.Equal("legacy-ann", (await twin.GetLeaseAsync())!.Holder);
            Assert.Single(await twin.GetAlarmHistoryAsync());
            Assert.Equal(TwinKind.Product, (await twin.GetConfigurationAsync())!.Kind);
            Assert.Null(storage.Read("machine-log", grainId));
            Assert.True(serializer.Deserialize<MachineSchemaState>(storage.Read("machine-schema", grainId)!.Data)!.LogMerged);
        }
    }
}
