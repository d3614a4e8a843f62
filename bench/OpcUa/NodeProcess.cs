using System.Diagnostics;
using System.Text;

namespace Imv.Bench.OpcUa;

/// <summary>A node script of test/fixtures/opcua-plc (the PLC or the peer client), with its output
/// collected; stopped by killing its process tree.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _marker = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string? _markerPrefix;

    private NodeProcess(Process process, string? markerPrefix)
    {
        _process = process;
        _markerPrefix = markerPrefix;
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
            var fromCwd = Path.Combine(Directory.GetCurrentDirectory(), "test", "fixtures", "opcua-plc");
            if (File.Exists(Path.Combine(fromCwd, "plc.mjs"))) return fromCwd;
            throw new InvalidOperationException("test/fixtures/opcua-plc not found; run from the repository root.");
        }
    }

    public static NodeProcess Start(string script, IEnumerable<string> arguments, string? markerPrefix)
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = FixtureDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        info.ArgumentList.Add(script);
        foreach (var a in arguments) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        var node = new NodeProcess(process, markerPrefix);
        process.OutputDataReceived += (_, e) => node.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => node.OnLine(e.Data, error: true);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return node;
    }

    private void OnLine(string? line, bool error = false)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        if (!error && _markerPrefix is not null && line.StartsWith(_markerPrefix, StringComparison.Ordinal)) _marker.TrySetResult(line);
    }

    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Waits for the marker line (e.g. "PLC READY").</summary>
    public async Task<string> WaitForMarkerAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var exited = _process.WaitForExitAsync(cancellationToken);
        var first = await Task.WhenAny(_marker.Task, exited, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        if (first != _marker.Task) throw new InvalidOperationException("node script did not report ready:\n" + Output);
        return await _marker.Task.ConfigureAwait(false);
    }

    /// <summary>Waits for the script to end and returns its last stdout line.</summary>
    public async Task<string> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        _process.WaitForExit(); // drains the asynchronous output readers
        var lines = Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.LastOrDefault(l => l.StartsWith('{')) ?? throw new InvalidOperationException("node script printed no result:\n" + Output);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }
}
