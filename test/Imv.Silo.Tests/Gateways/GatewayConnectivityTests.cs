using System.Text.Json;
using Imv.OpcUa.Tests;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests.Gateways;

/// <summary>A gateway that cannot connect after a restart turns the twins it described before Offline: the silo
/// remembers which gateway described which twin (grid catalog, twin directory) and applies the gateway-wide state.</summary>
public sealed class GatewayConnectivityTests
{
    private const string Twin = "plc.Plant.Machine1";

    private static Dictionary<string, string?> Settings(string endpointUrl) => new()
    {
        ["Simulator:Enabled"] = "false",
        ["Gateways:OpcUa:0:Name"] = "plc",
        ["Gateways:OpcUa:0:EndpointUrl"] = endpointUrl,
        ["Gateways:OpcUa:0:SamplingIntervalMs"] = "100",
        ["Gateways:OpcUa:0:PublishingIntervalMs"] = "100",
        ["Gateways:OpcUa:0:ReconnectMinDelayMs"] = "100",
        ["Gateways:OpcUa:0:ReconnectMaxDelayMs"] = "500",
        ["Gateways:OpcUa:0:Discovery:0:Root"] = "Plant",
    };

    private static async Task<JsonElement> TwinAsync(TestSilo silo) => await silo.GetAsync("/api/twins/" + Twin);

    [Fact]
    public async Task After_a_restart_a_gateway_that_cannot_connect_turns_the_twins_it_described_before_Offline()
    {
        var dataFile = TestSilo.NewDataFile();
        await using var plc = new PlcProcess();
        await plc.StartAsync();
        // The first run: the main job as a process, killed (SIGKILL) while its twin is Online, so the stored state
        // says Online (a clean stop would have marked it Offline).
        int port = TestSilo.FreePort();
        var output = new System.Text.StringBuilder();
        using (var first = CleanStopTests.Start(Path.GetDirectoryName(dataFile)!, output,
            ["--urls", $"http://127.0.0.1:{port}", "--Silo:SqlitePath=" + dataFile, .. Settings(plc.EndpointUrl).Select(kv => $"--{kv.Key}={kv.Value}")]))
        {
            using var client = SiloProcess.AdminClient(dataFile, port);
            await TestSilo.EventuallyAsync(async () =>
            {
                if (first.HasExited) Assert.Fail("The first silo exited:\n" + output);
                try
                {
                    using var r = await client.GetAsync(new Uri("/api/twins/" + Twin, UriKind.Relative));
                    return r.IsSuccessStatusCode && (await r.Content.ReadAsStringAsync()).Contains("\"connectivity\":\"Online\"", StringComparison.Ordinal);
                }
                catch (HttpRequestException) { return false; }
            }, "the twin described and online", TimeSpan.FromSeconds(60));
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }
        await plc.StopAsync();

        // The PLC is gone: the gateway never connects in this process, so it never maps the twin again.
        await using var second = await TestSilo.StartAsync(dataFile, Settings(plc.EndpointUrl));
        Assert.Equal("plc", (await TwinAsync(second)).GetProperty("gateway").GetString());
        await TestSilo.EventuallyAsync(async () => (await TwinAsync(second)).GetProperty("connectivity").GetString() == "Offline",
            "the twin Offline although its gateway never described it in this process");
        var twin = await TwinAsync(second);
        Assert.All(twin.GetProperty("tags").EnumerateArray(), t => Assert.Equal("Bad", t.GetProperty("quality").GetString()));
        Assert.Contains(twin.GetProperty("tags").EnumerateArray(), t => t.GetProperty("name").GetString() == "Setpoint");
        // The directory lists the twin again under its gateway.
        var list = await second.GetAsync("/api/twins");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), t => t.GetProperty("twinId").GetString() == Twin && t.GetProperty("gateway").GetString() == "plc");
    }
}
