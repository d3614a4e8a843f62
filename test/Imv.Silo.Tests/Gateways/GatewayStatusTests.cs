using System.Text;
using System.Text.Json;
using Imv.Gateways.Mqtt;
using Imv.Gateways.Mqtt.Tests;
using Imv.OpcUa.Tests;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests.Gateways;

/// <summary>A silo with a small simulated plant (for its organization tree), an OPC UA gateway to the node-opcua PLC and a
/// plain-JSON MQTT gateway on mosquitto, both with a <c>Status</c> mapping and an <c>Organization</c>.</summary>
public sealed class GatewayStatusFixture : IAsyncLifetime
{
    public const string Line = "site-1.line-01";

    public PlcProcess Plc { get; } = new();

    public MosquittoBroker Broker { get; private set; } = null!;

    public TestSilo Silo { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Plc.StartAsync();
        Broker = await MosquittoBroker.StartAsync();
        Silo = await TestSilo.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Simulator:LinesPerSite"] = "1",
            ["Simulator:MachinesPerLine"] = "1",
            ["Plant:ControlLoopShare"] = "0",
            ["Gateways:OpcUa:0:Name"] = "plc",
            ["Gateways:OpcUa:0:EndpointUrl"] = Plc.EndpointUrl,
            ["Gateways:OpcUa:0:SamplingIntervalMs"] = "100",
            ["Gateways:OpcUa:0:PublishingIntervalMs"] = "100",
            ["Gateways:OpcUa:0:Discovery:0:Root"] = "Plant",
            ["Gateways:OpcUa:0:Status:Running"] = "Running",
            ["Gateways:OpcUa:0:Status:Faulted"] = "Fault",
            ["Gateways:OpcUa:0:Status:TotalCount"] = "PartCount",
            ["Gateways:OpcUa:0:Status:GoodCount"] = "GoodCount",
            ["Gateways:OpcUa:0:Status:IdealCycleTimeMs"] = "100",
            ["Gateways:OpcUa:0:Organization"] = Line,
            ["Gateways:OpcUa:0:Twins:plc.Plant.Machine2:StaleAfterMs"] = "300000",
            ["Gateways:Mqtt:0:Name"] = "json",
            ["Gateways:Mqtt:0:Port"] = Broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gateways:Mqtt:0:Mode"] = "Json",
            ["Gateways:Mqtt:0:Json:TelemetryTopic"] = "imv13/{machine}/telemetry",
            ["Gateways:Mqtt:0:Json:TwinIdTemplate"] = "json.{machine}",
            ["Gateways:Mqtt:0:StaleAfterMs"] = "3000",
            ["Gateways:Mqtt:0:Status:Running"] = "running",
            ["Gateways:Mqtt:0:Status:Faulted"] = "fault",
            ["Gateways:Mqtt:0:Status:TotalCount"] = "parts",
            ["Gateways:Mqtt:0:Status:GoodCount"] = "good",
            ["Gateways:Mqtt:0:Organization"] = Line,
            ["Gateways:Mqtt:0:Alarms:0:Tag"] = "temp",
            ["Gateways:Mqtt:0:Alarms:0:High"] = "80",
            ["Gateways:Mqtt:0:Alarms:0:HighHigh"] = "95",
        });
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        await Broker.DisposeAsync();
        await Plc.StopAsync();
    }
}

/// <summary>Issue 13 points 5 and 7 through the HTTP API: gateway twins show their run state, counts and OEE from their
/// tags (in <c>?state=</c> and the organization's aggregate), and a device that goes silent turns stale.</summary>
public sealed class GatewayStatusTests(GatewayStatusFixture fixture) : IClassFixture<GatewayStatusFixture>
{
    private TestSilo Silo => fixture.Silo;

    private async Task<JsonElement> TwinWhenAsync(string id, Func<JsonElement, bool> condition, string what, TimeSpan? timeout = null)
    {
        JsonElement twin = default;
        string last = "(no answer yet)";
        try
        {
            await TestSilo.EventuallyAsync(async () =>
            {
                using var response = await Silo.Client.GetAsync(new Uri("/api/twins/" + id, UriKind.Relative));
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (!response.IsSuccessStatusCode) return false;
                twin = JsonDocument.Parse(last[4..]).RootElement.Clone();
                return condition(twin);
            }, what, timeout);
        }
        catch (Xunit.Sdk.FailException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}; last answer for {id}: {last}");
        }
        return twin;
    }

    private static string State(JsonElement twin) => twin.GetProperty("status").GetProperty("state").GetString()!;

    private async Task<IReadOnlyList<string>> ListedAsync(string state)
    {
        var page = await Silo.GetAsync($"/api/twins?state={state}&pageSize=100");
        return page.GetProperty("items").EnumerateArray().Select(t => t.GetProperty("twinId").GetString()!).ToList();
    }

    [Fact]
    public async Task An_opc_ua_twin_takes_its_state_and_counts_from_its_tags_and_counts_in_its_organization()
    {
        const string id = "plc.Plant.Machine1";
        var twin = await TwinWhenAsync(id, t => State(t) == "Running" && t.GetProperty("status").GetProperty("totalCount").GetInt64() > 0,
            "the PLC twin Running with parts counted");
        Assert.Equal(GatewayStatusFixture.Line, twin.GetProperty("organizationId").GetString());
        Assert.Contains(id, await ListedAsync("Running"));
        var tags = twin.GetProperty("tags").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        Assert.Equal("00:00:00", tags["Temperature"].GetProperty("expectedPeriod").GetString());   // OPC UA default: never stale
        var other = await TwinWhenAsync("plc.Plant.Machine2", t => t.GetProperty("tags").GetArrayLength() > 0, "the second PLC twin described");
        Assert.All(other.GetProperty("tags").EnumerateArray(), t => Assert.Equal("00:05:00", t.GetProperty("expectedPeriod").GetString()));

        // The organization counts the gateway twin with its OEE inputs.
        await TestSilo.EventuallyAsync(async () =>
        {
            var org = await Silo.GetAsync("/api/orgs/" + GatewayStatusFixture.Line);
            var machines = org.GetProperty("machines").EnumerateArray().Select(m => m.GetString()).ToList();
            var aggregate = org.GetProperty("aggregate");
            return machines.Contains(id) && machines.Contains("plc.Plant.Machine2") && aggregate.GetProperty("running").GetInt64() >= 2
                && aggregate.GetProperty("totalCount").GetInt64() > 0 && aggregate.GetProperty("performance").GetDouble() > 0;
        }, "the line's aggregate to count both PLC twins running, with parts and performance");

        // The fault tag, written through the command path, makes the twin Faulted (listed, and counted by its line).
        var operatorClient = await Silo.AsNewAsync("status.operator", "Worker", id);
        try
        {
            var record = await operatorClient.PostAsync($"/api/twins/{id}/commands?wait=20", new { tag = "Fault", value = true }, 201);
            Assert.NotEqual("Rejected", record.GetProperty("status").GetString());
            await TwinWhenAsync(id, t => State(t) == "Faulted", "the PLC twin Faulted");
            Assert.Contains(id, await ListedAsync("Faulted"));
            await TestSilo.EventuallyAsync(async () =>
                (await Silo.GetAsync("/api/orgs/" + GatewayStatusFixture.Line)).GetProperty("aggregate").GetProperty("faulted").GetInt64() >= 1,
                "the line to count the faulted PLC twin");
        }
        finally
        {
            await operatorClient.PostAsync($"/api/twins/{id}/commands?wait=20", new { tag = "Fault", value = false }, 201);
        }
        await TwinWhenAsync(id, t => State(t) == "Running", "the PLC twin Running again");
    }

    [Fact]
    public async Task A_json_twin_goes_stale_when_its_device_falls_silent_and_comes_back_with_the_next_message()
    {
        const string id = "json.m1";
        var options = fixture.Broker.ClientOptions("imv13-device");
        await using var device = new MqttClient(options);
        await device.ConnectAsync(CancellationToken.None);
        // A device publishing every 300 ms, as live devices do (its payload changed by the test), until it falls silent.
        string payload = """{"running":true,"fault":false,"parts":5,"good":4}""";
        using var silent = new CancellationTokenSource();
        async Task PublishLoopAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                await device.PublishAsync(new MqttApplicationMessage("imv13/m1/telemetry", Encoding.UTF8.GetBytes(Volatile.Read(ref payload)), MqttQualityOfService.AtLeastOnce), CancellationToken.None);
                try { await Task.Delay(300, stop); } catch (OperationCanceledException) { }
            }
        }
        var live = PublishLoopAsync(silent.Token);

        var twin = await TwinWhenAsync(id, t => State(t) == "Running", "the JSON twin Running");
        Assert.Equal("Online", twin.GetProperty("connectivity").GetString());
        Assert.Equal(GatewayStatusFixture.Line, twin.GetProperty("organizationId").GetString());
        Assert.Contains(id, await ListedAsync("Running"));
        long total = twin.GetProperty("status").GetProperty("totalCount").GetInt64(), good = twin.GetProperty("status").GetProperty("goodCount").GetInt64();
        Volatile.Write(ref payload, """{"running":true,"fault":false,"parts":8,"good":6}""");
        twin = await TwinWhenAsync(id, t => t.GetProperty("status").GetProperty("totalCount").GetInt64() == total + 3, "three more parts counted in the window");
        Assert.Equal(good + 2, twin.GetProperty("status").GetProperty("goodCount").GetInt64());

        // Silent past the gateway's bound (3 s): every tag stale, the twin Stale and not Running.
        await silent.CancelAsync();
        await live;
        twin = await TwinWhenAsync(id, t => t.GetProperty("connectivity").GetString() == "Stale", "the JSON twin Stale", TimeSpan.FromSeconds(20));
        Assert.All(twin.GetProperty("tags").EnumerateArray(), t =>
        {
            Assert.True(t.GetProperty("stale").GetBoolean());
            Assert.Equal("Uncertain", t.GetProperty("quality").GetString());
        });
        Assert.Equal("Unknown", State(twin));
        Assert.Contains(id, await ListedAsync("Unknown"));
        Assert.DoesNotContain(id, await ListedAsync("Running"));

        // Publishing again: live again; a fault flag: Faulted.
        using var stop = new CancellationTokenSource();
        Volatile.Write(ref payload, """{"running":true,"fault":false,"parts":9,"good":7}""");
        live = PublishLoopAsync(stop.Token);
        try
        {
            twin = await TwinWhenAsync(id, t => t.GetProperty("connectivity").GetString() == "Online" && State(t) == "Running", "the JSON twin live again");
            Assert.All(twin.GetProperty("tags").EnumerateArray(), t => Assert.Equal("Good", t.GetProperty("quality").GetString()));
            Volatile.Write(ref payload, """{"running":true,"fault":true,"parts":9,"good":7}""");
            await TwinWhenAsync(id, t => State(t) == "Faulted", "the JSON twin Faulted");

            // The gateway's alarm bands: a High-high temperature is an alarm, listed, and faults the twin by itself.
            Volatile.Write(ref payload, """{"running":true,"fault":false,"parts":9,"good":7,"temp":96.5}""");
            twin = await TwinWhenAsync(id, t => t.GetProperty("activeAlarms").GetArrayLength() == 1, "the JSON twin's High-high alarm");
            Assert.Equal("HighHigh", twin.GetProperty("activeAlarms")[0].GetProperty("level").GetString());
            Assert.Equal("Faulted", State(twin));
            Assert.Equal(95, twin.GetProperty("alarmBands")[0].GetProperty("highHigh").GetDouble());
            var alarms = await Silo.GetAsync("/api/alarms?pageSize=100");
            Assert.Contains(alarms.GetProperty("items").EnumerateArray(), a => a.GetProperty("twinId").GetString() == id && a.GetProperty("tag").GetString() == "temp");
            var alarmed = await Silo.GetAsync("/api/twins?alarm=active&pageSize=100");
            Assert.Contains(alarmed.GetProperty("items").EnumerateArray(), t => t.GetProperty("twinId").GetString() == id);
        }
        finally
        {
            await stop.CancelAsync();
            await live;
        }
    }
}
