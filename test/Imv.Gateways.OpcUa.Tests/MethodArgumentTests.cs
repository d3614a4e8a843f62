using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Gateways.OpcUa.Tests;

/// <summary>Method commands converted to the argument types the method declares (its InputArguments
/// property, read from the PLC), and payloads that do not fit rejected before the call, naming the argument.</summary>
[Collection(PlcCollection.Name)]
public sealed class MethodArgumentTests(PlcFixture plc)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private async Task<OpcUaEndpointConnection> StartAsync()
    {
        var options = new OpcUaEndpointOptions { Name = "args", EndpointUrl = plc.EndpointUrl, SamplingIntervalMs = 50, PublishingIntervalMs = 50 };
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = "nsu=http://imv.example/UA/Line/;s=Line.Robot", TwinIdTemplate = "robot" });
        options.Discovery.Add(new OpcUaDiscoveryOptions { Root = "ns=1;s=Plant.Machine1", TwinIdTemplate = "m1" });
        Assert.Empty(OpcUaOptionsValidator.Validate([options]));
        var connection = new OpcUaEndpointConnection(options, new CollectingSink(), NullLogger.Instance);
        await connection.StartAsync(CancellationToken.None);
        await connection.WaitUntilOnlineAsync(CancellationToken.None).WaitAsync(Timeout);
        return connection;
    }

    private static DeviceCommand Call(string twin, string method, params TagValue[] args) =>
        new(Guid.NewGuid().ToString("N"), twin, null, method, TagValue.None, args, DateTimeOffset.UtcNow.AddMinutes(1));

    [Fact]
    public async Task Payload_values_are_converted_to_the_declared_argument_types()
    {
        await using var connection = await StartAsync();
        // X and Y are Double, Count UInt16: integers and a whole double are converted.
        var move = await connection.SendAsync(Call("robot", "Move", TagValue.FromInteger(3), TagValue.FromDouble(4.5), TagValue.FromString("p1"), TagValue.FromDouble(2)), CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Applied, move.Status);
        Assert.True(move.Outputs![0].AsInteger() >= 2);
        // Int64: a small integer goes as Int64, not as the Int32 the gateway used to guess.
        var echo = await connection.SendAsync(Call("robot", "Echo", TagValue.FromInteger(5)), CancellationToken.None);
        Assert.True(echo.Status == CommandDeliveryStatus.Applied, echo.Reason);
        Assert.Equal(5.0, echo.Outputs![0].AsDouble());
        var large = await connection.SendAsync(Call("robot", "Echo", TagValue.FromInteger(1L << 40)), CancellationToken.None);
        Assert.Equal((double)(1L << 40), large.Outputs![0].AsDouble());
        var product = await connection.SendAsync(Call("m1", "Multiply", TagValue.FromInteger(6), TagValue.FromInteger(7)), CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Applied, product.Status);
        Assert.Equal(42.0, product.Outputs![0].AsDouble());
    }

    [Theory]
    [InlineData("count", "BadOutOfRange: argument 4 'Count' of Move (UInt16) 70000 does not fit UInt16")]
    [InlineData("fraction", "BadTypeMismatch: argument 4 'Count' of Move (UInt16) takes a whole number, got the Double 1.5")]
    [InlineData("label", "BadTypeMismatch: argument 3 'Label' of Move (String) cannot take the Double 2.5")]
    [InlineData("x", "BadTypeMismatch: argument 1 'X' of Move (Double) cannot take the String 'left'")]
    [InlineData("array", "BadTypeMismatch: argument 2 'Y' of Move (Double) takes a single value, got an array of 2")]
    [InlineData("missing", "BadArgumentsMissing: Move takes 4 arguments (X Double, Y Double, Label String, Count UInt16), the command gives 2")]
    [InlineData("extra", "BadTooManyArguments: Stop takes 0 arguments, the command gives 1")]
    public async Task A_payload_that_does_not_fit_is_rejected_before_the_call_naming_the_argument(string fault, string expected)
    {
        await using var connection = await StartAsync();
        var command = fault switch
        {
            "count" => Call("robot", "Move", TagValue.FromDouble(1), TagValue.FromDouble(2), TagValue.FromString("a"), TagValue.FromInteger(70000)),
            "fraction" => Call("robot", "Move", TagValue.FromDouble(1), TagValue.FromDouble(2), TagValue.FromString("a"), TagValue.FromDouble(1.5)),
            "label" => Call("robot", "Move", TagValue.FromDouble(1), TagValue.FromDouble(2), TagValue.FromDouble(2.5), TagValue.FromInteger(1)),
            "x" => Call("robot", "Move", TagValue.FromString("left"), TagValue.FromDouble(2), TagValue.FromString("a"), TagValue.FromInteger(1)),
            "array" => Call("robot", "Move", TagValue.FromDouble(1), TagValue.FromArray([1.0, 2.0]), TagValue.FromString("a"), TagValue.FromInteger(1)),
            "missing" => Call("robot", "Move", TagValue.FromDouble(1), TagValue.FromDouble(2)),
            _ => Call("m1", "Stop", TagValue.FromInteger(1)),
        };
        var delivery = await connection.SendAsync(command, CancellationToken.None);
        Assert.Equal(CommandDeliveryStatus.Rejected, delivery.Status);
        Assert.Equal(expected, delivery.Reason);
    }
}

/// <summary>The conversion rules that the PLC's methods do not exercise: arrays, ranks, dates, Float range.</summary>
public sealed class MethodArgumentConversionTests
{
    private static MethodArgument Arg(string name, uint type, int rank = -1) =>
        new(name, new NodeId(type), rank, [], default);

    [Fact]
    public void Arrays_convert_element_by_element_and_name_the_bad_element()
    {
        Assert.True(MethodArgumentConversion.TryConvert("Set", [Arg("Values", 4, 1)], [TagValue.FromArray([1L, -2L])], out var inputs, out _));
        Assert.Equal(BuiltInType.Int16, inputs[0].Type);
        Assert.Equal(new short[] { 1, -2 }, (short[])inputs[0].Value!);
        Assert.True(MethodArgumentConversion.TryConvert("Set", [Arg("Values", 10, 1)], [TagValue.FromArray([1L, 2L])], out inputs, out _));
        Assert.Equal(new float[] { 1, 2 }, (float[])inputs[0].Value!);
        Assert.False(MethodArgumentConversion.TryConvert("Set", [Arg("Values", 3, 1)], [TagValue.FromArray([1L, 300L])], out _, out var error));
        Assert.Equal("BadOutOfRange: argument 1 'Values' of Set (Byte[]) element 1: 300 does not fit Byte", error);
        Assert.False(MethodArgumentConversion.TryConvert("Set", [Arg("Values", 11, 1)], [TagValue.FromDouble(1)], out _, out error));
        Assert.Equal("BadTypeMismatch: argument 1 'Values' of Set (Double[]) takes an array, got the single value the Double 1", error);
        // -2 (any rank) takes either.
        Assert.True(MethodArgumentConversion.TryConvert("Set", [Arg("Any", 11, -2)], [TagValue.FromArray([1.5])], out inputs, out _));
        Assert.True(inputs[0].IsArray);
    }

    [Fact]
    public void Dates_floats_and_untyped_arguments()
    {
        Assert.True(MethodArgumentConversion.TryConvert("At", [Arg("When", 13)], [TagValue.FromString("2026-01-02T03:04:05Z")], out var inputs, out _));
        Assert.Equal(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), (DateTime)inputs[0].Value!);
        Assert.False(MethodArgumentConversion.TryConvert("At", [Arg("When", 13)], [TagValue.FromString("soon")], out _, out var error));
        Assert.Equal("BadTypeMismatch: argument 1 'When' of At (DateTime) takes an ISO 8601 date and time, got the String 'soon'", error);
        Assert.False(MethodArgumentConversion.TryConvert("F", [Arg("F", 10)], [TagValue.FromDouble(1e300)], out _, out error));
        Assert.StartsWith("BadOutOfRange: argument 1 'F' of F (Float)", error, StringComparison.Ordinal);
        // BaseDataType (i=24): the value goes as it comes.
        Assert.True(MethodArgumentConversion.TryConvert("V", [Arg("V", 24)], [TagValue.FromString("x")], out inputs, out _));
        Assert.Equal("x", inputs[0].Value);
    }
}
