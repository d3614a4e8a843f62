using System.Diagnostics;

namespace Imv.Bench.Mqtt;

/// <summary>The edge nodes of the MQTT benchmark in a process of their own, so that the CPU time of the benchmark's
/// process is the gateway's (and the twins'), not the publishers'. Driven by lines on stdin: <c>publish N</c>
/// (N DDATA per node, answered <c>done</c>) and <c>exit</c>; it answers <c>ready</c> once every birth is out.</summary>
internal sealed class PublisherProcess : IAsyncDisposable
{
    /// <summary>The hidden scenario name the child runs under.</summary>
    public const string Scenario = "mqtt-publishers";

    private readonly Process _process;

    private PublisherProcess(Process process) => _process = process;

    /// <summary>Starts <paramref name="publishers"/> edge nodes of <paramref name="devices"/> devices each in a child
    /// process and returns once their births are published.</summary>
    public static async Task<PublisherProcess> StartAsync(int port, string prefix, int publishers, int devices, CancellationToken ct)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Imv.Bench.dll"));
        foreach (var a in new[] { Scenario, port.ToString(System.Globalization.CultureInfo.InvariantCulture), prefix, publishers.ToString(System.Globalization.CultureInfo.InvariantCulture), devices.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException("the publisher process did not start");
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("publishers: " + e.Data); };
        process.BeginErrorReadLine();
        var result = new PublisherProcess(process);
        await result.ExpectAsync("ready", ct);
        return result;
    }

    /// <summary>Publishes <paramref name="perNode"/> DDATA messages from every node; returns when all are written.</summary>
    public async Task PublishAsync(int perNode, CancellationToken ct)
    {
        await _process.StandardInput.WriteLineAsync($"publish {perNode}".AsMemory(), ct);
        await _process.StandardInput.FlushAsync(ct);
        await ExpectAsync("done", ct);
    }

    private async Task ExpectAsync(string word, CancellationToken ct)
    {
        var line = await _process.StandardOutput.ReadLineAsync(ct);
        if (line != word) throw new InvalidOperationException($"the publisher process answered '{line ?? "(exit)"}' instead of '{word}'");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("exit");
            await _process.StandardInput.FlushAsync();
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or InvalidOperationException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    /// <summary>The child's side: runs the nodes and obeys stdin.</summary>
    public static async Task<int> RunChildAsync(string[] args, CancellationToken ct)
    {
        var port = int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture);
        var prefix = args[1];
        var publishers = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        var devices = int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture);
        var nodes = Enumerable.Range(0, publishers).Select(p => new BenchEdgeNode(port, "bench", $"{prefix}{p}", devices)).ToList();
        await Task.WhenAll(nodes.Select(n => n.StartAsync(ct)));
        Console.WriteLine("ready");
        while (await Console.In.ReadLineAsync(ct) is { } line && line != "exit")
        {
            if (!line.StartsWith("publish ", StringComparison.Ordinal)) continue;
            var perNode = int.Parse(line["publish ".Length..], System.Globalization.CultureInfo.InvariantCulture);
            await Task.WhenAll(nodes.Select(n => n.PublishDataAsync(perNode, ct)));
            Console.WriteLine("done");
        }
        foreach (var n in nodes) await n.DisposeAsync();
        return 0;
    }
}
