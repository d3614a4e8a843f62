using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Imv.Gateways.OpcUa.Tests;

/// <summary>What a twin description carries from OPC UA: discovered methods with their input arguments,
/// and each tag's metadata (type, rank, writable, unit, limits, source gateway and node).</summary>
[Collection(PlcCollection.Name)]
public sealed class DescriptionTests(PlcFixture plc)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private async Task<CollectingSink> DescribeAsync(Action<OpcUaEndpointOptions> configure)
    {
        var sink = new CollectingSink();
        var options = new OpcUaEndpointOptions { Name = "plc", EndpointUrl = plc.EndpointUrl, SamplingIntervalMs = 100, PublishingIntervalMs = 100 };
        configure(options);
        Assert.Empty(OpcUaOptionsValidator.Validate([options]));
        await using var connection = new OpcUaEndpointConnection(options, sink, NullLogger.Instance);
        await connection.StartAsync(CancellationToken.None);
        await connection.WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(Timeout);
        return sink;
    }

    [Fact]
    public async Task Discovered_methods_travel_in_the_description_with_their_input_arguments()
    {
        var sink = await DescribeAsync(o => o.Discovery.Add(new OpcUaDiscoveryOptions { Root = "Plant" }));
        var machine = sink.Descriptions["plc.Plant.Machine1"];
        Assert.NotNull(machine.Methods);
        var methods = machine.Methods!.ToDictionary(m => m.Name);
        Assert.Equal(["Multiply", "Reset", "Start", "Stop"], methods.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.All(methods.Values, m => Assert.True(m.ArgumentsKnown));
        Assert.Empty(methods["Start"].InputArguments);
        var multiply = methods["Multiply"].InputArguments;
        Assert.Equal(["A", "B"], multiply.Select(a => a.Name).ToArray());
        Assert.All(multiply, a => Assert.Equal(TagDataType.Double, a.DataType));
        Assert.All(multiply, a => Assert.Equal(0, a.ArrayRank));
        Assert.Contains("ns=1;s=Plant.Machine1.Multiply", methods["Multiply"].SourceAddress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explicitly_mapped_methods_carry_their_argument_types_and_descriptions()
    {
        var sink = await DescribeAsync(o =>
        {
            o.Nodes.Add(new OpcUaNodeMapping { BrowsePath = "{http://imv.example/UA/Line/}Line/{http://imv.example/UA/Line/}Robot/{http://imv.example/UA/Line/}Move", TwinId = "robot", Method = "Move" });
            o.Nodes.Add(new OpcUaNodeMapping { BrowsePath = "{http://imv.example/UA/Line/}Line/{http://imv.example/UA/Line/}Robot/{http://imv.example/UA/Line/}Speed", TwinId = "robot", Tag = "Speed" });
        });
        var move = Assert.Single(sink.Descriptions["robot"].Methods!);
        Assert.Equal("Move", move.Name);
        Assert.Equal(["X Double Double", "Y Double Double", "Label String String", "Count Integer UInt16"],
            move.InputArguments.Select(a => $"{a.Name} {a.DataType} {a.SourceDataType}").ToArray());
        Assert.Equal("target x", move.InputArguments[0].Description);
    }

    [Fact]
    public async Task Tags_carry_type_rank_writable_unit_limits_and_source()
    {
        var sink = await DescribeAsync(o =>
        {
            o.Discovery.Add(new OpcUaDiscoveryOptions { Root = "Plant/Machine1" });
            o.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Types.Analog", TwinId = "lab", Tag = "Analog" });
            o.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Types.Int16", TwinId = "lab", Tag = "Int16" });
            o.Nodes.Add(new OpcUaNodeMapping { NodeId = "ns=1;s=Types.Matrix", TwinId = "lab", Tag = "Matrix" });
        });
        var tags = sink.Descriptions["plc.Plant.Machine1"].Tags.ToDictionary(t => t.Name);
        var temperature = tags["Temperature"];
        Assert.Equal((TagDataType.Double, 0, false, "°C"), (temperature.DataType, temperature.ArrayRank, temperature.Writable, temperature.Unit));
        Assert.Equal(("plc", "ns=1;s=Plant.Machine1.Temperature", "Double"), (temperature.SourceGateway, temperature.SourceAddress, temperature.SourceDataType));
        Assert.Null(temperature.Minimum); // read-only: its EURange is no command limit
        Assert.Equal((TagDataType.DoubleArray, 1, "Double[]"), (tags["Vibration"].DataType, tags["Vibration"].ArrayRank, tags["Vibration"].SourceDataType));
        Assert.Equal("Int32", tags["Speed"].SourceDataType);
        Assert.True(tags["Setpoint"].Writable);

        var lab = sink.Descriptions["lab"].Tags.ToDictionary(t => t.Name);
        Assert.Equal((true, 0.0, 100.0, "%"), (lab["Analog"].Writable, lab["Analog"].Minimum, lab["Analog"].Maximum, lab["Analog"].Unit));
        Assert.Equal((TagDataType.Integer, "Int16"), (lab["Int16"].DataType, lab["Int16"].SourceDataType));
        Assert.Equal((TagDataType.DoubleArray, 2), (lab["Matrix"].DataType, lab["Matrix"].ArrayRank));
    }
}
