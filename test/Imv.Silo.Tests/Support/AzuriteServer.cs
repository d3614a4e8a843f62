using System.Diagnostics;

namespace Imv.Silo.Tests.Support;

/// <summary>Azurite's Table service (the Azure Storage emulator, npm package of test/fixtures/azurite) on a free
/// loopback port with its own data directory; stopped and deleted on dispose.</summary>
public sealed class AzuriteServer : IAsyncDisposable
{
    // Azurite's documented development account (public, the same in every installation).
    private const string Account = "devstoreaccount1";
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly string _directory;

    private AzuriteServer(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    /// <summary>The Table service's port.</summary>
    public int Port { get; }

    /// <summary>The connection string of the emulator's account (tables only).</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={AccountKey};TableEndpoint=http://127.0.0.1:{Port}/{Account};";

    /// <summary>Starts the Table service; throws naming what is missing when the fixture's packages are not installed.</summary>
    public static async Task<AzuriteServer> StartAsync(TimeSpan? timeout = null)
    {
        var main = FindMain() ?? throw new InvalidOperationException(
            "Azurite is not installed: run 'npm ci' in test/fixtures/azurite (test.sh does it).");
        var directory = Path.Combine(Path.GetTempPath(), "imv-azurite-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        int port = TestSilo.FreePort();
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { main, "--tableHost", "127.0.0.1", "--tablePort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--location", directory, "--skipApiVersionCheck" })
            start.ArgumentList.Add(a);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var process = Process.Start(start)!;
        void OnLine(string? line)
        {
            if (line is null) return;
            output.Enqueue(line);
            if (line.Contains("successfully started", StringComparison.Ordinal)) started.TrySetResult();
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new AzuriteServer(process, directory, port);
        try
        {
            var exited = process.WaitForExitAsync();
            var first = await Task.WhenAny(started.Task, exited).WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
            if (first == exited) throw new InvalidOperationException("Azurite exited at start: " + string.Join(Environment.NewLine, output));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private static string? FindMain()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "test", "fixtures", "azurite", "node_modules", "azurite", "dist", "src", "table", "main.js");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Stops the emulator and deletes its data.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException) { }
        _process.Dispose();
        try { System.IO.Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
