using Imv.Client.Json;
using System.Text.Json;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Api;

namespace Imv.Silo.Tests;

/// <summary>How tags are written in the API: doubles keep a fraction, a never-read tag has null timestamps,
/// a refused reading shows on its tag.</summary>
public sealed class TagJsonTests
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(), new TagValueJsonConverter() },
    };

    [Fact]
    public void Doubles_keep_a_fraction_and_integers_do_not()
    {
        Assert.Equal("50.0", JsonSerializer.Serialize(TagValue.FromDouble(50), Options));
        Assert.Equal("50.25", JsonSerializer.Serialize(TagValue.FromDouble(50.25), Options));
        Assert.Equal("-0.0", JsonSerializer.Serialize(TagValue.FromDouble(-0.0), Options));
        Assert.Equal("1E+300", JsonSerializer.Serialize(TagValue.FromDouble(1e300), Options));
        Assert.Equal("50", JsonSerializer.Serialize(TagValue.FromInteger(50), Options));
        Assert.Equal("[1.0,2.5]", JsonSerializer.Serialize(TagValue.FromArray(new[] { 1.0, 2.5 }), Options));
        // And they read back as doubles.
        Assert.Equal(TagDataType.Double, JsonSerializer.Deserialize<TagValue>("50.0", Options).DataType);
    }

    [Fact]
    public void A_never_read_tag_has_null_timestamps_and_its_metadata_and_last_rejection_show()
    {
        var rejection = new TagRejection("value is String, tag 'Flow' is Double", DateTimeOffset.UnixEpoch, 3, TagDataType.Double, TagDataType.String);
        var snapshot = new TwinSnapshot("t", TwinKind.Equipment, CouplingMode.MutualDependence, TwinConnectivity.Online,
            [new TagSnapshot("Flow", TagValue.None, TagQuality.Bad, default, default, 0, TimeSpan.Zero, AlarmLevel.None, rejection)],
            null, null, 0, 0, 0, 3, new MachineStatus("t", MachineRunState.Unknown, 0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 0, 0, DateTimeOffset.UnixEpoch));
        var config = new TwinConfiguration(Tags: [new TagMetadata("Flow", TagDataType.Double, "m3/h", Writable: true, Minimum: 0, Maximum: 20, SourceGateway: "broker", SourceAddress: "plant/flow")]);
        var json = JsonSerializer.SerializeToElement(TwinEndpoints.TagsOf(snapshot, config)[0], Options);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("sourceTimestamp").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("receivedTimestamp").ValueKind);
        Assert.Equal("m3/h", json.GetProperty("unit").GetString());
        Assert.Equal(20, json.GetProperty("maximum").GetDouble());
        Assert.Equal("plant/flow", json.GetProperty("sourceAddress").GetString());
        Assert.Equal(3, json.GetProperty("lastRejection").GetProperty("count").GetInt64());
        Assert.Equal("String", json.GetProperty("lastRejection").GetProperty("received").GetString());
    }
}
