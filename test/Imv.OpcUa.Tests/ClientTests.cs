using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;
using Xunit;

namespace Imv.OpcUa.Tests;

[Collection(PlcCollection.Name)]
public sealed class ClientTests(PlcFixture plc)
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private async Task<UaClient> ConnectAsync(string? user = null, string? password = null)
    {
        var client = new UaClient(new UaClientOptions { EndpointUrl = plc.EndpointUrl, UserName = user, Password = password });
        await client.ConnectAsync(Ct);
        return client;
    }

    private static NodeId Plc(string id) => new(id, 1);

    [Fact]
    public async Task Connects_anonymously_and_lists_endpoints()
    {
        await using var client = await ConnectAsync();
        Assert.True(client.IsConnected);
        var endpoints = await client.GetEndpointsAsync(Ct);
        Assert.Contains(endpoints, e => e.SecurityPolicyUri == SecurityPolicyNone.PolicyUri);
        var state = await client.ReadValueAsync(WellKnownNodes.ServerState, Ct);
        Assert.Equal(0, Convert.ToInt32(state.Value.Value, System.Globalization.CultureInfo.InvariantCulture)); // Running
        Assert.True(client.Channel!.LocalLimits.SendBufferSize >= 8192);
    }

    [Fact]
    public async Task Activates_a_user_name_session_and_rejects_a_wrong_password()
    {
        await using (var client = await ConnectAsync("operator", "secret"))
        {
            Assert.True(client.IsConnected);
        }
        var bad = new UaClient(new UaClientOptions { EndpointUrl = plc.EndpointUrl, UserName = "operator", Password = "wrong" });
        var error = await Assert.ThrowsAsync<UaServiceException>(() => bad.ConnectAsync(Ct));
        Assert.StartsWith("Bad", error.StatusName, StringComparison.Ordinal);
        Assert.Contains(error.StatusName, error.Message, StringComparison.Ordinal);
        await bad.DisposeAsync();
    }

    [Fact]
    public async Task Browses_the_plant_and_pages_large_results_with_BrowseNext()
    {
        await using var client = await ConnectAsync();
        var plant = await client.BrowseAllAsync(new BrowseDescription(Plc("Plant"), WellKnownNodes.HierarchicalReferences), Ct);
        Assert.Contains(plant, r => r.BrowseName.Name == "Machine1" && r.NodeClass == NodeClass.Object);
        Assert.Contains(plant, r => r.BrowseName.Name == "Machine2");

        var first = await client.BrowseAsync([new BrowseDescription(Plc("Many"), WellKnownNodes.HierarchicalReferences, NodeClass.Variable)], 1000, Ct);
        Assert.NotNull(first[0].ContinuationPoint);
        Assert.Equal(1000, first[0].References.Length);
        var all = await client.BrowseAllAsync(new BrowseDescription(Plc("Many"), WellKnownNodes.HierarchicalReferences, NodeClass.Variable), Ct, 1000);
        Assert.Equal(2500, all.Count);
        Assert.Equal(2500, all.Select(r => r.BrowseName.Name).Distinct().Count());
    }

    [Fact]
    public async Task Translates_a_browse_path_to_a_node_id()
    {
        await using var client = await ConnectAsync();
        var results = await client.TranslateBrowsePathsAsync(
            [(WellKnownNodes.ObjectsFolder, [new QualifiedName(1, "Plant"), new QualifiedName(1, "Machine1"), new QualifiedName(1, "Setpoint")]),
             (WellKnownNodes.ObjectsFolder, [new QualifiedName(1, "Nowhere")])], Ct);
        Assert.Equal(StatusCode.Good, results[0].StatusCode);
        Assert.Equal(Plc("Plant.Machine1.Setpoint"), results[0].Targets[0].NodeId);
        Assert.Equal("BadNoMatch", StatusCode.NameOf(results[1].StatusCode));
    }

    public static TheoryData<string, object> TypedValues => new()
    {
        { "Boolean", false },
        { "SByte", (sbyte)-100 },
        { "Byte", (byte)7 },
        { "Int16", (short)1234 },
        { "UInt16", (ushort)65000 },
        { "Int32", 123456789 },
        { "UInt32", 3000000000u },
        { "Int64", -9000000000000L },
        { "UInt64", 18000000000000000000UL },
        { "Float", 2.25f },
        { "Double", -1.0e300 },
        { "String", "grüße ✓" },
        { "DateTime", new DateTime(2025, 6, 7, 8, 9, 10, 123, DateTimeKind.Utc) },
        { "Guid", Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e") },
        { "ByteString", new byte[] { 0, 255, 1, 2 } },
        { "XmlElement", new XmlElementText("<x a=\"1\">y</x>") },
        { "NodeId", new NodeId(Guid.Parse("72962b91-fa75-4ae6-8d28-b404dc7daf63"), 1) },
        { "ExpandedNodeId", new ExpandedNodeId(new NodeId("Plant", 1)) },
        { "StatusCode", new StatusCode(StatusCode.BadTypeMismatch) },
        { "QualifiedName", new QualifiedName(1, "Renamed") },
        { "LocalizedText", new LocalizedText("de-DE", "Hallo") },
        { "DoubleArray", new[] { 1.0, -2.0, 3.5, 1e-9 } },
        { "Int32Array", new[] { int.MinValue, 0, int.MaxValue } },
        { "BooleanArray", new[] { false, true } },
        { "StringArray", new[] { "x", "", "z" } },
    };

    [Theory]
    [MemberData(nameof(TypedValues))]
    public async Task Reads_and_writes_every_built_in_type(string name, object value)
    {
        await using var client = await ConnectAsync();
        var node = Plc("Types." + name);
        var before = await client.ReadValueAsync(node, Ct);
        Assert.Equal(StatusCode.Good, before.StatusCode);
        Assert.False(before.Value.IsNull);
        var variant = Variant.From(value);
        Assert.Equal(variant.Type, before.Value.Type);
        var status = await client.WriteValueAsync(node, variant, Ct);
        Assert.Equal("Good", StatusCode.NameOf(status));
        var after = await client.ReadValueAsync(node, Ct);
        Assert.Equal(variant, after.Value);
        Assert.NotNull(after.SourceTimestamp);
    }

    [Fact]
    public async Task Reads_and_writes_a_matrix_and_a_byte_array()
    {
        await using var client = await ConnectAsync();
        var matrix = await client.ReadValueAsync(Plc("Types.Matrix"), Ct);
        Assert.True(matrix.Value.IsArray);
        Assert.Equal([2, 3], matrix.Value.Dimensions!);
        var written = Variant.FromArray(BuiltInType.Double, new double[] { 6, 5, 4, 3, 2, 1 }, [3, 2]);
        Assert.Equal("Good", StatusCode.NameOf(await client.WriteValueAsync(Plc("Types.Matrix"), written, Ct)));
        Assert.Equal(written, (await client.ReadValueAsync(Plc("Types.Matrix"), Ct)).Value);

        var bytes = Variant.FromArray(BuiltInType.Byte, new byte[] { 9, 8, 7, 6 });
        Assert.Equal("Good", StatusCode.NameOf(await client.WriteValueAsync(Plc("Types.ByteArray"), bytes, Ct)));
        Assert.Equal(bytes, (await client.ReadValueAsync(Plc("Types.ByteArray"), Ct)).Value);
    }

    [Fact]
    public async Task Reads_a_value_larger_than_one_chunk()
    {
        await using var client = await ConnectAsync();
        var big = await client.ReadValueAsync(Plc("Big"), Ct);
        var values = Assert.IsType<double[]>(big.Value.Value);
        Assert.Equal(100000, values.Length);
        Assert.Equal(99999.0, values[^1]);
        Assert.True(values.Length * 8 > client.Channel!.LocalLimits.ReceiveBufferSize * 4);
    }

    [Fact]
    public async Task A_write_of_the_wrong_type_is_rejected_by_name()
    {
        await using var client = await ConnectAsync();
        var status = await client.WriteValueAsync(Plc("Types.Double"), Variant.From("not a number"), Ct);
        Assert.Equal("BadTypeMismatch", StatusCode.NameOf(status));
        var unknown = await client.ReadValueAsync(Plc("No.Such.Node"), Ct);
        Assert.Equal("BadNodeIdUnknown", new StatusCode(unknown.StatusCode).ToString());
    }

    [Fact]
    public async Task Calls_methods_with_inputs_and_outputs()
    {
        await using var client = await ConnectAsync();
        var results = await client.CallAsync(
        [
            new CallMethodRequest(Plc("Plant.Machine1"), Plc("Plant.Machine1.Multiply"), [Variant.From(6.0), Variant.From(7.0)]),
            new CallMethodRequest(Plc("Plant.Machine1"), Plc("Plant.Machine1.Stop"), []),
            new CallMethodRequest(Plc("Plant.Machine1"), Plc("Plant.Machine1.NoSuchMethod"), []),
        ], Ct);
        Assert.Equal(StatusCode.Good, results[0].StatusCode);
        Assert.Equal(42.0, results[0].OutputArguments[0].Value);
        Assert.Equal(StatusCode.Good, results[1].StatusCode);
        Assert.StartsWith("Bad", StatusCode.NameOf(results[2].StatusCode), StringComparison.Ordinal);
        Assert.Equal(false, (await client.ReadValueAsync(Plc("Plant.Machine1.Running"), Ct)).Value.Value);
        await client.CallAsync([new CallMethodRequest(Plc("Plant.Machine1"), Plc("Plant.Machine1.Start"), [])], Ct);
        Assert.Equal(true, (await client.ReadValueAsync(Plc("Plant.Machine1.Running"), Ct)).Value.Value);
    }
}
