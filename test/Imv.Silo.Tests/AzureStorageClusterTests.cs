using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Imv.Client;
using Imv.Client.Connection;
using Imv.Silo.Tests.Support;
using Xunit.Abstractions;

namespace Imv.Silo.Tests;

/// <summary>Two silo processes clustered, stored and reminded on Azure Table storage (Azurite): both join through the
/// membership table, a command acknowledged through one silo's API is still there, through the other, after the first
/// is killed with kill -9. With TLS the silos talk to each other only over mutual TLS (<c>Silo:Tls</c>, certificates
/// of a CA made by the test): both active in the membership table means their probes crossed TLS connections. An SDK
/// client with <c>Client:Clustering=AzureStorage</c> finds the cluster through the same table.</summary>
public sealed class AzureStorageClusterTests(ITestOutputHelper output)
{
    private const string Twin = "site-1.line-01.machine-001";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Two_silos_on_azure_table_storage_keep_an_acknowledged_command_when_one_is_killed(bool tls)
    {
        await using var azurite = await AzuriteServer.StartAsync();
        var directory = Path.Combine(Path.GetTempPath(), "imv-azure-cluster-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var keyBase = Path.Combine(directory, "cluster");   // the administrator key file is keyBase + ".admin-key"
        var lines = new ConcurrentQueue<string>();
        var processes = new List<Process>();
        // Without TLS the clustered gateway must be allowed in clear explicitly (loopback here in fact).
        var tlsArgs = new List<string> { "--Auth:AllowPlainGatewayBeyondLoopback=true" };
        var clientTls = new TlsSettings();
        if (tls)
        {
            tlsArgs.Clear();
            using var ca = TestCertificates.NewAuthority("Imv test cluster CA");
            var caPem = Path.Combine(directory, "ca.pem");
            await File.WriteAllTextAsync(caPem, ca.ExportCertificatePem());
            var pfx = TestCertificates.WritePfx(TestCertificates.Issue(ca, "silo"), Path.Combine(directory, "silo.pfx"), null);
            tlsArgs.AddRange(["--Silo:Tls:CertificatePath=" + pfx, "--Silo:Tls:TrustedCaPath=" + caPem]);
            clientTls = new TlsSettings
            {
                CertificatePath = TestCertificates.WritePfx(TestCertificates.Issue(ca, "sdk-client"), Path.Combine(directory, "client.pfx"), null),
                TrustedCaPath = caPem,
            };
        }
        try
        {
            var ports = new[] { TestSilo.FreePort(), TestSilo.FreePort() };
            for (int i = 0; i < 2; i++)
            {
                processes.Add(SiloProcess.Start(directory,
                [
                    "--urls", $"http://127.0.0.1:{ports[i]}", $"--Silo:Name=azure-{i + 1}",
                    "--Silo:Clustering=AzureStorage", "--Silo:Storage=AzureStorage", "--Silo:Reminders=AzureStorage",
                    "--ConnectionStrings:AzureStorage=" + azurite.ConnectionString, "--Silo:AdvertisedAddress=127.0.0.1",
                    "--Auth:AdminKeyFile=" + TestSilo.AdminKeyFileOf(keyBase), "--Silo:Console:Summary=false",
                    "--Simulator:Sites=1", "--Simulator:LinesPerSite=1", "--Simulator:MachinesPerLine=3", "--Simulator:FaultRate=0",
                    "--Simulator:InitiallyRunning=1", "--Plant:ControlLoopShare=0", "--Logging:LogLevel:Default=Warning",
                    "--Plant:Bootstrap=" + (i == 0 ? "true" : "false"), .. tlsArgs,
                ], (line, _) => lines.Enqueue($"[azure-{i + 1}] {line}")));
                using var probe = SiloProcess.AdminClient(keyBase, ports[i]);
                await WaitAsync(async () =>
                {
                    if (processes[i].HasExited) throw new InvalidOperationException($"silo azure-{i + 1} exited: " + string.Join(Environment.NewLine, lines.TakeLast(30)));
                    try { using var r = await probe.GetAsync(new Uri("/api/health", UriKind.Relative)); return r.IsSuccessStatusCode; }
                    catch (HttpRequestException) { return false; }
                    catch (TaskCanceledException) { return false; }
                }, $"silo azure-{i + 1} answering HTTP", TimeSpan.FromSeconds(180));
            }
            var table = new TableServiceClient(azurite.ConnectionString).GetTableClient("OrleansSiloInstances");
            await WaitAsync(async () => await ActiveSilosAsync(table) == 2, "both silos active in the membership table", TimeSpan.FromSeconds(120));

            // An SDK client that knows only the storage account (Client:Clustering=AzureStorage) finds a gateway in
            // the membership table and reads a twin; with the cluster's TLS it shows a certificate of the cluster's CA.
            var clientOptions = new ImvClientOptions
            {
                Clustering = ClusteringKinds.AzureStorage, AzureStorageConnectionString = azurite.ConnectionString,
                ConnectTimeout = TimeSpan.FromSeconds(60), Tls = clientTls,
                ApiKey = (await File.ReadAllTextAsync(TestSilo.AdminKeyFileOf(keyBase))).Trim(),
            };
            await using (var sdk = await ImvClient.ConnectAsync(clientOptions))
            {
                Assert.Contains(Twin, await sdk.Twins.ListAsync());
                Assert.Equal(Twin, (await sdk.Twins.GetAsync(Twin))?.TwinId);
            }

            using var first = SiloProcess.AdminClient(keyBase, ports[0]);
            using var second = SiloProcess.AdminClient(keyBase, ports[1]);
            string commandId = "";
            await WaitAsync(async () =>
            {
                using var response = await first.PostAsJsonAsync($"/api/twins/{Twin}/commands?wait=20", new { tag = "speedSetpoint", value = 77 });
                if ((int)response.StatusCode != 201) return false;
                var record = await response.Content.ReadFromJsonAsync<JsonElement>();
                commandId = record.GetProperty("envelope").GetProperty("commandId").GetString()!;
                return true;
            }, "a command acknowledged (201) through the first silo", TimeSpan.FromSeconds(120));

            processes[0].Kill(entireProcessTree: true);
            await processes[0].WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var killed = Stopwatch.StartNew();

            // The command and the twin answer through the survivor, from what Azure Table storage kept.
            await WaitAsync(async () =>
            {
                try
                {
                    using var response = await second.GetAsync(new Uri("/api/commands/" + commandId, UriKind.Relative));
                    return response.IsSuccessStatusCode;
                }
                catch (TaskCanceledException) { return false; }
            }, "the acknowledged command read through the survivor", TimeSpan.FromSeconds(120));
            var twin = await second.GetFromJsonAsync<JsonElement>("/api/twins/" + Twin);
            Assert.Equal(Twin, twin.GetProperty("twinId").GetString());
            output.WriteLine($"command {commandId} read through the survivor {killed.Elapsed.TotalSeconds:F1} s after the kill");
        }
        catch
        {
            foreach (var line in lines.TakeLast(60)) output.WriteLine(line);
            throw;
        }
        finally
        {
            foreach (var p in processes)
            {
                try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                p.Dispose();
            }
            try { System.IO.Directory.Delete(directory, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<int> ActiveSilosAsync(TableClient table)
    {
        int active = 0;
        try
        {
            await foreach (var row in table.QueryAsync<TableEntity>())
                if (row.GetString("Status") == "Active") active++;
        }
        catch (Azure.RequestFailedException) { }
        return active;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(250);
        }
    }
}
