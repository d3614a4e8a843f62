using System.Diagnostics;

namespace Imv.Silo.Tests.Support;

/// <summary>The main job (Imv.Silo.dll, copied next to the tests by the project reference) as its own process, on
/// free Orleans ports, every output line handed to <c>onLine</c> (true for standard error).</summary>
public static class SiloProcess
{
    // Every process started, so that none outlives the test host: a test that fails before it stops its silo
    // would otherwise leave it running (and holding CPU) long after the run.
    private static readonly System.Collections.Concurrent.ConcurrentBag<Process> Started = [];

    static SiloProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var process in Started)
        {
            try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception) { }
        }
    };

    /// <summary>Starts the process in <paramref name="workingDirectory"/> with <paramref name="args"/>.</summary>
    public static Process Start(string workingDirectory, IEnumerable<string> args, Action<string, bool> onLine)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Imv.Silo.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.ArgumentList.Add($"--Silo:SiloPort={TestSilo.FreePort()}");
        start.ArgumentList.Add($"--Silo:GatewayPort={TestSilo.FreePort()}");
        var process = Process.Start(start)!;
        Started.Add(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) onLine(e.Data, false); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) onLine(e.Data, true); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>A client of a silo process on <paramref name="port"/> acting as its administrator: it reads the key
    /// the process writes beside <paramref name="dataFile"/> at its first start (<see cref="TestSilo.AdminKeyFileOf"/>)
    /// on each request until the file exists, so it can be made before the process is up.</summary>
    public static HttpClient AdminClient(string dataFile, int port, TimeSpan? timeout = null) =>
        new(new AdminKeyHandler(TestSilo.AdminKeyFileOf(dataFile)))
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Timeout = timeout ?? TimeSpan.FromSeconds(60),
        };

    private sealed class AdminKeyHandler(string keyFile) : DelegatingHandler(new HttpClientHandler())
    {
        private string? _key;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (_key is null && File.Exists(keyFile)) _key = (await File.ReadAllTextAsync(keyFile, cancellationToken)).Trim();
            if (_key is not null) request.Headers.TryAddWithoutValidation("X-Api-Key", _key);
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
