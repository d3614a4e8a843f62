using System.Diagnostics;
using System.Text;
using Imv.Gateways.Mqtt.Tests;
using Imv.OpcUa.Tests;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests;

/// <summary>The main job as its own process with real gateways: SIGTERM stops every gateway before the grid
/// (exit code 0, no unhandled exception), and a configuration with problems in several sections lists them all.</summary>
public sealed class CleanStopTests
{
    internal static Process Start(string workingDirectory, StringBuilder output, IEnumerable<string> args) =>
        SiloProcess.Start(workingDirectory, args.Append("--Silo:Console:Summary=false"), (line, _) => { lock (output) output.AppendLine(line); });

    private static string Text(StringBuilder output) { lock (output) return output.ToString(); }

    private static async Task<int> TerminateAsync(Process process, StringBuilder output)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The silo did not stop within 60 s of SIGTERM. Output:\n" + Text(output));
        }
        return process.ExitCode;
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task Sigterm_with_gateways_stops_them_before_the_grid_and_exits_0(bool opcUa, bool mqtt)
    {
        await using var plc = new PlcProcess();
        await using var broker = mqtt ? await MosquittoBroker.StartAsync() : null;
        if (opcUa) await plc.StartAsync();
        var dataFile = TestSilo.NewDataFile();
        int port = TestSilo.FreePort();
        var args = new List<string>
        {
            "--urls", $"http://127.0.0.1:{port}", "--Silo:SqlitePath=" + dataFile, "--Simulator:Enabled=false",
            "--Logging:LogLevel:Default=Information",
        };
        if (opcUa)
            args.AddRange(["--Gateways:OpcUa:0:Name=plc", "--Gateways:OpcUa:0:EndpointUrl=" + plc.EndpointUrl, "--Gateways:OpcUa:0:Discovery:0:Root=Plant"]);
        if (mqtt)
            args.AddRange(["--Gateways:Mqtt:0:Name=broker", "--Gateways:Mqtt:0:Host=127.0.0.1", $"--Gateways:Mqtt:0:Port={broker!.Port}",
                "--Gateways:Mqtt:0:Mode=SparkplugB", "--Gateways:Mqtt:0:Sparkplug:GroupIds:0=plant"]);
        var output = new StringBuilder();
        using var process = Start(Path.GetDirectoryName(dataFile)!, output, args);
        using var client = SiloProcess.AdminClient(dataFile, port, TimeSpan.FromSeconds(10));
        await TestSilo.EventuallyAsync(async () =>
        {
            if (process.HasExited) Assert.Fail($"The silo exited with {process.ExitCode}:\n{Text(output)}");
            try
            {
                if (opcUa)
                {
                    using var twin = await client.GetAsync(new Uri("/api/twins/plc.Plant.Machine1", UriKind.Relative));
                    if (!twin.IsSuccessStatusCode || !(await twin.Content.ReadAsStringAsync()).Contains("\"connectivity\":\"Online\"", StringComparison.Ordinal)) return false;
                }
                if (!mqtt) return true;
                using var gateways = await client.GetAsync(new Uri("/api/gateways/broker", UriKind.Relative));
                return gateways.IsSuccessStatusCode && (await gateways.Content.ReadAsStringAsync()).Contains("\"state\":\"Connected\"", StringComparison.Ordinal);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
        }, "the silo to answer with its gateways running", TimeSpan.FromSeconds(60));

        int code = await TerminateAsync(process, output);
        var text = Text(output);
        Assert.True(code == 0, $"exit code {code}:\n{text}");
        Assert.False(text.Contains("Unhandled exception", StringComparison.Ordinal), text);
        Assert.False(text.Contains("ObjectDisposedException", StringComparison.Ordinal), text);
        // The gateways told their twins while the grid still answered.
        Assert.False(text.Contains("Cannot access a disposed object", StringComparison.Ordinal), text);
        Assert.False(text.Contains("could not be marked Offline", StringComparison.Ordinal), text);
    }

    [Fact]
    public async Task Problems_of_the_silo_the_gateways_and_the_plant_are_listed_at_once_before_anything_opens()
    {
        var dataFile = TestSilo.NewDataFile();
        var output = new StringBuilder();
        using var process = Start(Path.GetDirectoryName(dataFile)!, output,
        [
            "--Silo:SqlitePath=" + dataFile, "--Silo:CollectionAge=abc",
            "--Gateways:OpcUa:0:Name=plc", "--Gateways:OpcUa:0:EndpointUrl=http://plc:4840",
            "--Gateways:Mqtt:0:Name=north", "--Gateways:Mqtt:0:Mode=SparkplugB",
            "--Plant:ControlLoopShare=2",
        ]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var text = Text(output);
        Assert.True(process.ExitCode == 2, $"exit code {process.ExitCode}:\n{text}");
        foreach (var key in new[] { "Silo:CollectionAge", "Gateways:OpcUa:0:EndpointUrl", "Gateways:Mqtt:0", "Plant:ControlLoopShare" })
            Assert.Contains(key, text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", text, StringComparison.Ordinal);
        Assert.False(File.Exists(dataFile), "nothing is opened before the configuration is valid");
    }
}
