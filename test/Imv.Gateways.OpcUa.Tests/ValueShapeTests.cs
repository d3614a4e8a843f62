using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Imv.Gateways.OpcUa.Tests;

/// <summary>Variables whose declaration allows more than one shape (ValueRank -1, -2, -3) or type
/// (BaseDataType, Number) are typed by what the server sends (the PLC's Objects/Shapes).</summary>
[Collection(PlcCollection.Name)]
public sealed class ValueShapeTests(PlcFixture plc)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const string Twin = "plc.Shapes";

    [Fact]
    public async Task Arrays_declared_scalar_or_any_arrive_as_arrays_and_a_value_that_does_not_fit_is_refused_logged_and_counted()
    {
        var sink = new CollectingSink();
        var logger = new TestLogger();
        var options = new OpcUaEndpointOptions { Name = "plc", EndpointUrl = plc.EndpointUrl, SamplingIntervalMs = 50, PublishingIntervalMs = 50 };
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = "Shapes" });
        Assert.Empty(OpcUaOptionsValidator.Validate([options]));
        await using var connection = new OpcUaEndpointConnection(options, sink, logger);
        await connection.StartAsync(CancellationToken.None);
        await connection.WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(Timeout);

        var described = sink.Descriptions[Twin].Tags.ToDictionary(t => t.Name);
        Assert.Equal(TagDataType.DoubleArray, described["ScalarRankArray"].DataType);        // ValueRank -1
        Assert.Equal(TagDataType.DoubleArray, described["AnyRankArray"].DataType);           // ValueRank -2
        Assert.Equal(TagDataType.IntegerArray, described["ScalarOrOneDimensionArray"].DataType); // ValueRank -3
        Assert.Equal(TagDataType.DoubleArray, described["NumberArray"].DataType);            // DataType Number, ValueRank -2

        // Fresh readings (the PLC changes them every 100 ms) arrive as arrays, Good.
        var start = sink.UpdateCount;
        await CollectingSink.WaitUntilAsync(() => sink.Log.Count(l => l.TwinId == Twin && l.Update.Tag == "AnyRankArray") >= 3,
            Timeout, "changing AnyRankArray readings");
        foreach (var name in new[] { "ScalarRankArray", "AnyRankArray", "ScalarOrOneDimensionArray", "NumberArray" })
        {
            var reading = sink.Tags[(Twin, name)];
            Assert.Equal(TagQuality.Good, reading.Quality);
            Assert.Equal(described[name].DataType, reading.Value.DataType);
            Assert.Equal(3, reading.Value.AsArray().Length);
        }

        // Misfit (BaseDataType) alternates between a Double and a String every second: whichever it was typed
        // by, the other does not fit. It is delivered as Bad without a value, counted, and logged naming twin,
        // tag, expected and received type.
        var typedAs = described["Misfit"].DataType;
        Assert.Contains(typedAs, new[] { TagDataType.Double, TagDataType.String });
        var other = typedAs == TagDataType.Double ? TagDataType.String : TagDataType.Double;
        await CollectingSink.WaitUntilAsync(() => connection.TypeMismatchCount > 0, Timeout, "a refused Misfit reading");
        await CollectingSink.WaitUntilAsync(() => sink.Log.Any(l => l.TwinId == Twin && l.Update.Tag == "Misfit" && l.Update.Quality == TagQuality.Bad && l.Update.Value.IsNone),
            Timeout, "Misfit delivered as Bad");
        Assert.DoesNotContain(sink.Log, l => l.TwinId == Twin && l.Update.Tag == "Misfit" && l.Update.Value.DataType == other);
        Assert.True(logger.Contains(LogLevel.Warning, Twin, "Misfit", "expected " + typedAs, "received " + other), string.Join("\n", logger.Entries.Select(e => e.Message)));
        Assert.Equal(typedAs, sink.Descriptions[Twin].Tags.Single(t => t.Name == "Misfit").DataType);

        // Rate-limited: one warning for the tag within the minute, however many readings were refused.
        await CollectingSink.WaitUntilAsync(() => connection.TypeMismatchCount >= 3, Timeout, "more refused readings");
        Assert.Equal(1, logger.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("Misfit", StringComparison.Ordinal)));
    }
}
