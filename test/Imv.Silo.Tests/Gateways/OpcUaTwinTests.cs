using System.Text.Json;
using Imv.OpcUa.Tests;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests.Gateways;

/// <summary>A silo with an OPC UA gateway to the node-opcua PLC fixture, exercised through the HTTP API only.</summary>
public sealed class OpcUaSiloFixture : IAsyncLifetime
{
    public PlcProcess Plc { get; } = new();

    public TestSilo Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Plc.StartAsync();
        Silo = await TestSilo.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Simulator:Enabled"] = "false",
            ["Gateways:OpcUa:0:Name"] = "plc",
            ["Gateways:OpcUa:0:EndpointUrl"] = Plc.EndpointUrl,
            ["Gateways:OpcUa:0:SamplingIntervalMs"] = "100",
            ["Gateways:OpcUa:0:PublishingIntervalMs"] = "100",
            ["Gateways:OpcUa:0:Discovery:0:Root"] = "Plant",
        });
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        await Plc.StopAsync();
    }
}

public sealed class OpcUaTwinTests(OpcUaSiloFixture fixture) : IClassFixture<OpcUaSiloFixture>
{
    private const string Twin = "plc.Plant.Machine1";
    private TestSilo Silo => fixture.Silo;

    private async Task<JsonElement> DescribedTwinAsync()
    {
        JsonElement twin = default;
        await TestSilo.EventuallyAsync(async () =>
        {
            using var response = await Silo.Client.GetAsync(new Uri("/api/twins/" + Twin, UriKind.Relative));
            if (!response.IsSuccessStatusCode) return false;
            twin = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return twin.GetProperty("methods").GetArrayLength() > 0 && twin.GetProperty("connectivity").GetString() == "Online";
        }, "the gateway to describe the twin and its first readings");
        return twin;
    }

    [Fact]
    public async Task Discovered_methods_are_listed_with_their_arguments_and_callable_through_the_api()
    {
        var twin = await DescribedTwinAsync();
        var methods = twin.GetProperty("methods").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        Assert.Equal(["Multiply", "Reset", "Start", "Stop"], methods.Keys.Order(StringComparer.Ordinal).ToArray());
        var multiply = methods["Multiply"];
        Assert.Equal("plc", multiply.GetProperty("gateway").GetString());
        Assert.True(multiply.GetProperty("argumentsKnown").GetBoolean());
        Assert.Equal(["A Double", "B Double"], multiply.GetProperty("inputArguments").EnumerateArray()
            .Select(a => a.GetProperty("name").GetString() + " " + a.GetProperty("dataType").GetString()).ToArray());

        await Silo.PostAsync("/api/avatars", new { avatarId = "opcua.operator", displayName = "Operator", role = "Worker", scopes = new[] { Twin } }, 201);
        var record = await Silo.As("opcua.operator").PostAsync($"/api/twins/{Twin}/commands?wait=20",
            new { issuer = "opcua.operator", method = "Multiply", arguments = new object[] { 2, 3.5 } }, 201);
        Assert.Equal("Applied", record.GetProperty("status").GetString());
        var output = Assert.Single(record.GetProperty("outputs").EnumerateArray());
        Assert.Equal(7.0, output.GetDouble());

        // The interlock checks the described arguments: their number and types.
        var wrongCount = await Silo.As("opcua.operator").PostAsync($"/api/twins/{Twin}/commands", new { issuer = "opcua.operator", method = "Multiply", arguments = new object[] { 2 } }, 422);
        Assert.Contains("takes 2 arguments", wrongCount.GetProperty("error").GetString(), StringComparison.Ordinal);
        var wrongType = await Silo.As("opcua.operator").PostAsync($"/api/twins/{Twin}/commands", new { issuer = "opcua.operator", method = "Multiply", arguments = new object[] { 2, "three" } }, 422);
        Assert.Contains("'B'", wrongType.GetProperty("error").GetString(), StringComparison.Ordinal);
        await Silo.As("opcua.operator").PostAsync($"/api/twins/{Twin}/commands", new { issuer = "opcua.operator", method = "SelfDestruct" }, 422);
    }

    [Fact]
    public async Task Tags_show_their_metadata_and_doubles_keep_their_fraction()
    {
        await DescribedTwinAsync();
        string raw = "";
        await TestSilo.EventuallyAsync(async () =>
        {
            raw = await Silo.Client.GetStringAsync(new Uri("/api/twins/" + Twin, UriKind.Relative));
            return raw.Contains("\"name\":\"Setpoint\",\"value\":50.0,", StringComparison.Ordinal);
        }, "the Setpoint written as 50.0");
        var tags = JsonDocument.Parse(raw).RootElement.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        var setpoint = tags["Setpoint"];
        Assert.Equal("Double", setpoint.GetProperty("dataType").GetString());
        Assert.Equal(0, setpoint.GetProperty("arrayRank").GetInt32());
        Assert.True(setpoint.GetProperty("writable").GetBoolean());
        Assert.Equal("plc", setpoint.GetProperty("sourceGateway").GetString());
        Assert.Contains("ns=1;s=Plant.Machine1.Setpoint", setpoint.GetProperty("sourceAddress").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, setpoint.GetProperty("lastRejection").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, setpoint.GetProperty("sourceTimestamp").ValueKind);
        Assert.False(tags["Speed"].GetProperty("writable").GetBoolean());
        Assert.Equal("Integer", tags["Speed"].GetProperty("dataType").GetString());
        Assert.Equal("DoubleArray", tags["Vibration"].GetProperty("dataType").GetString());
        Assert.Equal(1, tags["Vibration"].GetProperty("arrayRank").GetInt32());
        Assert.False(string.IsNullOrEmpty(tags["Temperature"].GetProperty("unit").GetString()));
    }

    [Fact]
    public async Task The_gateways_endpoint_shows_the_endpoint_online_with_its_counters()
    {
        await DescribedTwinAsync();
        var gateways = await Silo.GetAsync("/api/gateways");
        var plc = Assert.Single(gateways.GetProperty("opcUa").EnumerateArray());
        Assert.Equal("plc", plc.GetProperty("gateway").GetString());
        Assert.Equal("Online", plc.GetProperty("state").GetString());
        Assert.True(plc.GetProperty("notifications").GetInt64() > 0);
        Assert.Equal(0, gateways.GetProperty("mqtt").GetArrayLength());
        await Silo.GetAsync("/api/gateways/nope", 404);
    }
}
