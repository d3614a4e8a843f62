using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>A real mosquitto process on a free loopback port, with its own temporary directory for config,
/// persistence, log, passwords and certificates. Stopped and deleted on dispose.</summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    private const string Executable = "/usr/sbin/mosquitto";
    private Process? _process;

    private MosquittoBroker(string directory, int port, string config)
    {
        Directory = directory;
        Port = port;
        ConfigPath = Path.Combine(directory, "mosquitto.conf");
        File.WriteAllText(ConfigPath, config);
    }

    public string Directory { get; }
    public int Port { get; }
    public string ConfigPath { get; }
    public string LogPath => Path.Combine(Directory, "mosquitto.log");

    /// <summary>Starts a broker. <paramref name="extraConfig"/> is appended to the listener section; it may
    /// refer to files in the broker's directory as {dir}.</summary>
    public static async Task<MosquittoBroker> StartAsync(string extraConfig = "", Action<string>? prepare = null, bool persistence = false)
    {
        if (!File.Exists(Executable)) throw new InvalidOperationException($"{Executable} is missing: install mosquitto (apt-get install -y mosquitto; test.sh does it).");
        var directory = Path.Combine(Path.GetTempPath(), "imv-mosquitto-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        prepare?.Invoke(directory);
        var port = FreePort();
        var config = new StringBuilder()
            .AppendLine("user root")
            .AppendLine($"listener {port} 127.0.0.1")
            .AppendLine(extraConfig.Replace("{dir}", directory, StringComparison.Ordinal))
            .AppendLine(extraConfig.Contains("password_file", StringComparison.Ordinal) ? "" : "allow_anonymous true")
            .AppendLine($"persistence {(persistence ? "true" : "false")}")
            .AppendLine($"persistence_location {directory}/")
            .AppendLine("autosave_interval 0")
            .AppendLine("max_queued_messages 200000")
            .AppendLine("max_inflight_messages 0")
            .AppendLine("max_keepalive 65535")
            .AppendLine($"log_dest file {directory}/mosquitto.log")
            .AppendLine("log_type error")
            .AppendLine("log_type warning")
            .AppendLine("log_type notice")
            .ToString();
        var broker = new MosquittoBroker(directory, port, config);
        await broker.StartProcessAsync();
        return broker;
    }

    /// <summary>Stops mosquitto gracefully (SIGTERM, so it saves its persistence file) and starts it again on
    /// the same port with the same configuration.</summary>
    public async Task RestartAsync()
    {
        await StopProcessAsync();
        await StartProcessAsync();
    }

    /// <summary>Freezes the broker (SIGSTOP): sockets stay open but nothing answers, as with a hung broker
    /// or a silent network path.</summary>
    public void Freeze() => _ = kill(_process!.Id, 19);

    /// <summary>Lets a frozen broker run again (SIGCONT).</summary>
    public void Thaw() => _ = kill(_process!.Id, 18);

    public async Task StopProcessAsync()
    {
        var process = _process;
        if (process is null || process.HasExited) return;
        _ = kill(process.Id, 18);
        _ = kill(process.Id, 15);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        process.Dispose();
        _process = null;
    }

    public async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo(Executable, $"-c {ConfigPath}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("mosquitto did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode}: {ReadLog()}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
        }
    }

    public string ReadLog()
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public MqttClientOptions ClientOptions(string clientId, MqttProtocolVersion version = MqttProtocolVersion.V500) => new()
    {
        Host = "127.0.0.1",
        Port = Port,
        ClientId = clientId,
        ProtocolVersion = version,
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(500),
    };

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the temp directory is cleaned by the OS later.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
