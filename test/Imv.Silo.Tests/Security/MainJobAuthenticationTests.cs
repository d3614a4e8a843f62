using System.Text;
using Imv.Silo.Tests.Support;

namespace Imv.Silo.Tests.Security;

/// <summary>The main job on its embedded defaults: it creates an administrator key on first start and says where it
/// wrote it; it refuses to listen beyond loopback over plain HTTP, or to run with no way in, naming the keys (exit 2).</summary>
public sealed class MainJobAuthenticationTests
{
    [Fact]
    public async Task The_first_start_writes_an_administrator_key_beside_the_data_file_and_prints_where()
    {
        var dataFile = TestSilo.NewDataFile();
        int port = TestSilo.FreePort();
        var output = new StringBuilder();
        using var process = SiloProcess.Start(Path.GetDirectoryName(dataFile)!,
            ["--urls", $"http://127.0.0.1:{port}", "--Silo:SqlitePath=" + dataFile, "--Simulator:Enabled=false"],
            (line, _) => { lock (output) output.AppendLine(line); });
        try
        {
            var keyFile = TestSilo.AdminKeyFileOf(dataFile);
            await TestSilo.EventuallyAsync(() =>
            {
                if (process.HasExited) Assert.Fail("The silo exited: " + output);
                lock (output) return Task.FromResult(output.ToString().Contains(keyFile, StringComparison.Ordinal));
            }, "the silo to print where it wrote the administrator key", TimeSpan.FromSeconds(90));
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            using var client = SiloProcess.AdminClient(dataFile, port);
            // The key is written once the grid runs; the HTTP port opens a moment later.
            string me = "";
            await TestSilo.EventuallyAsync(async () =>
            {
                try
                {
                    using var response = await client.GetAsync(new Uri("/api/me", UriKind.Relative));
                    me = await response.Content.ReadAsStringAsync();
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException) { return false; }
            }, "the API to answer with the key", TimeSpan.FromSeconds(60));
            Assert.Contains("\"role\":\"Administrator\"", me, StringComparison.Ordinal);
            using var anonymous = new HttpClient { BaseAddress = client.BaseAddress };
            using (var refused = await anonymous.GetAsync(new Uri("/api/me", UriKind.Relative)))
                Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Plain_http_beyond_loopback_and_no_way_in_are_refused_naming_the_keys()
    {
        var dataFile = TestSilo.NewDataFile();
        var output = new StringBuilder();
        using var process = SiloProcess.Start(Path.GetDirectoryName(dataFile)!,
            ["--urls", $"http://0.0.0.0:{TestSilo.FreePort()}", "--Silo:SqlitePath=" + dataFile, "--Auth:CreateAdminKey=false"],
            (line, _) => { lock (output) output.AppendLine(line); });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        var text = output.ToString();
        Assert.True(process.ExitCode == 2, $"exit code {process.ExitCode}: {text}");
        Assert.Contains("urls = 'http://0.0.0.0:", text, StringComparison.Ordinal);
        Assert.Contains("Auth:AllowPlainHttpBeyondLoopback", text, StringComparison.Ordinal);
        Assert.Contains("Auth:CreateAdminKey", text, StringComparison.Ordinal);
        Assert.Contains("Auth:Jwt:SigningKeyFile", text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", text, StringComparison.Ordinal);
        Assert.False(File.Exists(dataFile), "nothing is opened before the configuration is valid");
    }
}
