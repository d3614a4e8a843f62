using System.Diagnostics;

namespace Imv.Bench.Mqtt;

/// <summary>Mosquitto's own command-line subscriber (<c>mosquitto_sub</c>, package mosquitto-clients) reading the
/// benchmark's stream at QoS 0 and writing one byte per message to a pipe we count: the CPU a bare C subscriber
/// spends per message, the yardstick of the gateway's.</summary>
internal sealed class BareMosquittoSub : IAsyncDisposable
{
    public const string Executable = "/usr/bin/mosquitto_sub";

    private readonly Process _process;
    private readonly Task _reader;
    private long _count;

    private BareMosquittoSub(Process process)
    {
        _process = process;
        _reader = Task.Run(CountAsync);
    }

    /// <summary>Messages received so far.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>CPU time (user + system) the process used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static bool IsInstalled => File.Exists(Executable);

    public static BareMosquittoSub Start(int port, string filter)
    {
        var start = new ProcessStartInfo(Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", filter, "-q", "0", "-N", "-F", "." })
            start.ArgumentList.Add(a);
        var process = Process.Start(start) ?? throw new InvalidOperationException("mosquitto_sub did not start");
        process.ErrorDataReceived += (_, e) => { if (!string.IsNullOrEmpty(e.Data)) Console.Error.WriteLine("mosquitto_sub: " + e.Data); };
        process.BeginErrorReadLine();
        return new BareMosquittoSub(process);
    }

    private async Task CountAsync()
    {
        var buffer = new byte[64 * 1024];
        var stream = _process.StandardOutput.BaseStream;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0) Interlocked.Add(ref _count, read);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill();
        await _process.WaitForExitAsync();
        await _reader;
        _process.Dispose();
    }
}
