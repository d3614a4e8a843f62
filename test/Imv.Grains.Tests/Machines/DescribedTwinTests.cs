using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Tests.Support;
using Xunit;

namespace Imv.Grains.Tests.Machines;

/// <summary>What a twin keeps from gateway descriptions: refused readings per tag, and tag type changes.</summary>
public class DescribedTwinTests
{
    [Fact]
    public async Task A_refused_reading_is_kept_on_its_tag_with_reason_time_and_count_and_survives_a_restart()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("shape-1");
        await twin.DescribeAsync(new TwinDescription("shape-1", "plc", [new TagMetadata("Vibration", TagDataType.Double, SourceGateway: "plc")]));
        var array = TagValue.FromArray(new[] { 1.0, 2.0 });
        var r = await twin.IngestAsync(new TagBatch([new TagUpdate("Vibration", array, TagQuality.Good, g.Clock.Now, 1)]));
        Assert.Equal(1, r.Rejected);
        await twin.IngestAsync(new TagBatch([new TagUpdate("Vibration", array, TagQuality.Good, g.Clock.Now, 2)]));
        var tag = (await twin.GetTagAsync("Vibration"))!;
        Assert.NotNull(tag.LastRejection);
        Assert.Equal(2, tag.LastRejection!.Count);
        Assert.Equal(TagDataType.Double, tag.LastRejection.Expected);
        Assert.Equal(TagDataType.DoubleArray, tag.LastRejection.Received);
        Assert.Equal("value is DoubleArray, tag 'Vibration' is Double", tag.LastRejection.Reason);
        Assert.Equal(g.Clock.Now, tag.LastRejection.At);
        await g.KillOwnerOfAsync(twin);
        Assert.Equal(2, (await twin.GetTagAsync("Vibration"))!.LastRejection!.Count);
    }

    [Fact]
    public async Task A_new_description_changing_a_tags_type_keeps_a_value_that_fits_and_clears_one_that_does_not()
    {
        await using var g = await Grid.StartAsync();
        var twin = g.Factory.GetGrain<IMachineGrain>("shape-2");
        await twin.DescribeAsync(new TwinDescription("shape-2", "plc", [new TagMetadata("Flow", TagDataType.Integer), new TagMetadata("Vibration", TagDataType.Double)]));
        await twin.IngestAsync(new TagBatch([
            new TagUpdate("Flow", TagValue.FromInteger(12), TagQuality.Good, g.Clock.Now, 1),
            new TagUpdate("Vibration", TagValue.FromDouble(0.5), TagQuality.Good, g.Clock.Now, 1)]));

        // Integer widened to Double: the value stays, as a double. Double became an array: the value is cleared.
        await twin.DescribeAsync(new TwinDescription("shape-2", "plc", [new TagMetadata("Flow", TagDataType.Double), new TagMetadata("Vibration", TagDataType.DoubleArray, ArrayRank: 1)]));
        var flow = (await twin.GetTagAsync("Flow"))!;
        Assert.Equal(TagValue.FromDouble(12), flow.Value);
        Assert.Equal(TagQuality.Good, flow.Quality);
        var vibration = (await twin.GetTagAsync("Vibration"))!;
        Assert.True(vibration.Value.IsNone);
        Assert.Equal(TagQuality.Bad, vibration.Quality);
        Assert.Equal(0, vibration.ReceivedTimestamp.UtcTicks);

        // Readings of the new type are taken, even with an older sequence than the cleared value's.
        var r = await twin.IngestAsync(new TagBatch([
            new TagUpdate("Vibration", TagValue.FromArray(new[] { 1.0, 2.0, 3.0 }), TagQuality.Good, g.Clock.Now.AddSeconds(-1), 1),
            new TagUpdate("Flow", TagValue.FromInteger(13), TagQuality.Good, g.Clock.Now.AddSeconds(1), 2)]));
        Assert.Equal(2, r.Applied);
        Assert.Equal(3, (await twin.GetTagAsync("Vibration"))!.Value.AsArray().Length);
        Assert.Equal(TagValue.FromDouble(13), (await twin.GetTagAsync("Flow"))!.Value);
        var config = (await twin.GetConfigurationAsync())!;
        Assert.Equal(TagDataType.DoubleArray, config.Tags!.Single(t => t.Name == "Vibration").DataType);
    }
}
