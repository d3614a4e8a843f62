using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Imv.OpcUa.Tests;

/// <summary>A node-opcua-server PLC (test/fixtures/opcua-plc/plc.mjs) on a free loopback port. Started
/// and stopped by tests; restarting keeps the port so a client can reconnect to the same URL.</summary>
public sealed class PlcProcess : IAsyncDisposable
{
    private Process? _process;
    private readonly string[] _extraArguments;

    public PlcProcess(params string[] extraArguments)
    {
        _extraArguments = extraArguments;
        Port = FreePort();
    }

    public int Port { get; }

    public string EndpointUrl => $"opc.tcp://127.0.0.1:{Port}/UA/PLC";

    private readonly List<(DateTime At, int Channels, int Sessions, int Attached)> _connections = [];

    /// <summary>The PLC's connection counts after every secure channel and session opened or closed (its
    /// "PLC CONNECTIONS" lines), oldest first, with when they were printed (UTC).</summary>
    public IReadOnlyList<(DateTime At, int Channels, int Sessions, int Attached)> Connections
    {
        get { lock (_connections) return [.. _connections]; }
    }

    private void OnConnectionsLine(string line)
    {
        int Count(string key)
        {
            int at = line.IndexOf(key + "=", StringComparison.Ordinal);
            if (at < 0) return -1;
            at += key.Length + 1;
            int end = line.IndexOf(' ', at);
            return int.Parse(end < 0 ? line[at..] : line[at..end], System.Globalization.CultureInfo.InvariantCulture);
        }
        lock (_connections) _connections.Add((DateTime.UtcNow, Count("channels"), Count("sessions"), Count("attached")));
    }

    public static string FixtureDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null)
            {
                var candidate = Path.Combine(dir.FullName, "test", "fixtures", "opcua-plc");
                if (File.Exists(Path.Combine(candidate, "plc.mjs"))) return candidate;
                dir = dir.Parent;
            }
            throw new InvalidOperationException("test/fixtures/opcua-plc not found above " + AppContext.BaseDirectory);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static readonly SemaphoreSlim NpmLock = new(1, 1);

    private static async Task EnsureInstalledAsync(string dir)
    {
        await NpmLock.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(dir, "node_modules", "node-opcua-server"))) return;
            using var npm = Process.Start(new ProcessStartInfo("npm", "ci --no-audit --no-fund --loglevel=error")
            {
                WorkingDirectory = dir,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var stderr = npm.StandardError.ReadToEndAsync();
            await npm.StandardOutput.ReadToEndAsync();
            await npm.WaitForExitAsync();
            if (npm.ExitCode != 0) throw new InvalidOperationException("npm ci failed in " + dir + ": " + await stderr);
        }
        finally
        {
            NpmLock.Release();
        }
    }

    public async Task StartAsync()
    {
        var dir = FixtureDirectory;
        await EnsureInstalledAsync(dir);
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add("plc.mjs");
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var a in _extraArguments) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        _process = process;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
            if (e.Data.StartsWith("PLC READY", StringComparison.Ordinal)) ready.TrySetResult();
            if (e.Data.StartsWith("PLC CONNECTIONS", StringComparison.Ordinal)) OnConnectionsLine(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.AppendLine(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(90)));
        if (first != ready.Task)
        {
            string text;
            lock (log) text = log.ToString();
            await StopAsync();
            throw new InvalidOperationException($"The PLC did not start on port {Port}:\n{text}");
        }
    }

    /// <summary>Freezes (SIGSTOP) or thaws (SIGCONT) the PLC process: a server that stops answering
    /// while its TCP connections stay open.</summary>
    public async Task SignalAsync(bool freeze)
    {
        var process = _process ?? throw new InvalidOperationException("The PLC is not running.");
        using var kill = Process.Start("kill", [freeze ? "-STOP" : "-CONT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill {(freeze ? "-STOP" : "-CONT")} {process.Id} failed");
    }

    public async Task StopAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null) return;
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
