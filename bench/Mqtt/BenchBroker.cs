using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Imv.Bench.Mqtt;

/// <summary>A mosquitto the benchmark starts on a free loopback port with its own temporary config.</summary>
internal sealed class BenchBroker : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private BenchBroker(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static async Task<BenchBroker> StartAsync(CancellationToken cancellationToken)
    {
        const string executable = "/usr/sbin/mosquitto";
        if (!File.Exists(executable)) throw new InvalidOperationException($"{executable} is missing: apt-get install -y mosquitto");
        var directory = Path.Combine(Path.GetTempPath(), "imv-bench-mosquitto-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var config = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"""
            user root
            listener {port} 127.0.0.1
            allow_anonymous true
            persistence false
            set_tcp_nodelay true
            max_queued_messages 0
            max_inflight_messages 0
            log_dest file {directory}/mosquitto.log
            log_type error
            log_type warning
            """, cancellationToken);
        var process = Process.Start(new ProcessStartInfo(executable, $"-c {config}") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("mosquitto did not start");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"mosquitto exited with {process.ExitCode}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
        return new BenchBroker(process, directory, port);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS to clean.
        }
    }
}
