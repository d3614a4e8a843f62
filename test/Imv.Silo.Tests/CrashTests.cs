using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests;

/// <summary>The main job killed (SIGKILL, no shutdown at all) loses nothing it acknowledged, audit entries included: the next start
/// replays the storage's write-behind journal.</summary>
public sealed class CrashTests
{
    private const string Twin = "site-1.line-01.machine-001";

    /// <summary>Starts Imv.Silo.dll (copied next to the tests by the project reference) as its own process.</summary>
    private static Process StartSiloProcess(string dataFile, int port, Queue<string> output) =>
        SiloProcess.Start(Path.GetDirectoryName(dataFile)!,
        [
            "--urls", $"http://127.0.0.1:{port}", "--Silo:SqlitePath=" + dataFile, "--Silo:Console:Summary=false",
            "--Simulator:Sites=1", "--Simulator:LinesPerSite=2", "--Simulator:MachinesPerLine=3", "--Simulator:TickInterval=00:00:00.100",
            "--Simulator:FaultRate=0", "--Simulator:InitiallyRunning=1", "--Plant:ControlLoopShare=0.34", "--Plant:ControlLoopPeriod=00:00:00.500",
            "--Logging:LogLevel:Default=Warning",
        ], (line, _) =>
        {
            lock (output)
            {
                output.Enqueue(line);
                if (output.Count > 200) output.Dequeue();
            }
        });

    private static async Task<JsonElement> SendAsync(HttpClient client, HttpMethod method, string path, object? body, int expected)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null) request.Content = JsonContent.Create(body);
        using var response = await client.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task A_killed_silo_loses_no_acknowledged_command_transfer_or_ledger_entry()
    {
        var dataFile = TestSilo.NewDataFile();
        int port = TestSilo.FreePort();
        var output = new Queue<string>();
        string commandId;
        using (var process = StartSiloProcess(dataFile, port, output))
        {
            try
            {
                using var client = SiloProcess.AdminClient(dataFile, port);
                await TestSilo.EventuallyAsync(async () =>
                {
                    if (process.HasExited) throw new InvalidOperationException("The silo process exited: " + string.Join('\n', output));
                    try
                    {
                        using var response = await client.GetAsync(new Uri("/api/twins/" + Twin, UriKind.Relative));
                        return response.IsSuccessStatusCode;
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        return false;
                    }
                }, "the silo process serving its plant", TimeSpan.FromSeconds(120));

                var applied = await SendAsync(client, HttpMethod.Post, $"/api/twins/{Twin}/commands?wait=30", new { tag = "speedSetpoint", value = 87 }, 201);
                Assert.Equal("Applied", applied.GetProperty("status").GetString());
                commandId = applied.GetProperty("envelope").GetProperty("commandId").GetString()!;
                await SendAsync(client, HttpMethod.Post, "/api/assets", new { assetId = "EUR", kind = "DigitalCurrency", name = "Euro", boundTo = "enterprise", owner = "treasury" }, 201);
                await SendAsync(client, HttpMethod.Post, "/api/assets/EUR/mint", new { issuer = "treasury", walletId = "w1", amount = 300, mintId = "m1" }, 200);
                await SendAsync(client, HttpMethod.Post, "/api/transfers", new { transferId = "t1", fromWallet = "w1", toWallet = "w2", assetId = "EUR", amount = 70 }, 201);
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
        // The acknowledged writes are in the journal, not yet in grain_state: the replay is what keeps them.
        var journal = System.IO.Directory.EnumerateFiles(Path.GetDirectoryName(dataFile)!, "imv.db-wb-*.journal").ToList();
        Assert.Contains(journal, f => new FileInfo(f).Length > 0);

        await using var second = await TestSilo.StartAsync(dataFile, new Dictionary<string, string?> { ["Simulator:Enabled"] = "false" });
        var record = await second.GetAsync("/api/commands/" + commandId);
        Assert.Equal("Applied", record.GetProperty("status").GetString());
        var twin = await second.GetAsync("/api/twins/" + Twin);
        Assert.Equal(87, twin.GetProperty("tags").EnumerateArray().First(t => t.GetProperty("name").GetString() == "speedSetpoint").GetProperty("value").GetDouble());
        Assert.Equal(230, (await second.GetAsync("/api/wallets/w1")).GetProperty("balances").GetProperty("EUR").GetInt64());
        Assert.Equal(70, (await second.GetAsync("/api/wallets/w2")).GetProperty("balances").GetProperty("EUR").GetInt64());
        Assert.Equal("Completed", (await second.GetAsync("/api/transfers/t1")).GetProperty("status").GetString());
        var verify = await second.GetAsync("/api/ledger/verify");
        Assert.True(verify.GetProperty("isValid").GetBoolean());
        Assert.Equal(3, verify.GetProperty("count").GetInt64());

        // Answered means audited: the last change, answered just before the kill, has its audit entry.
        var audit = (await second.GetAsync("/api/audit?count=1000")).GetProperty("entries").EnumerateArray()
            .Select(e => $"{e.GetProperty("what").GetString()} {e.GetProperty("status").GetInt64()}").ToList();
        Assert.Contains("POST /api/transfers 201", audit);
        Assert.Contains($"POST /api/twins/{Twin}/commands?wait=30 201", audit);
        Assert.True((await second.GetAsync("/api/audit/verify")).GetProperty("isValid").GetBoolean());
    }
}
