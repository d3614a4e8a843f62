using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Imv.Silo.Tests.Support;

/// <summary>A real PostgreSQL server (Debian's postgresql package, /usr/lib/postgresql/N/bin) in a temporary
/// directory on a free loopback port, run as the unprivileged user <c>nobody</c> when the tests run as root
/// (PostgreSQL refuses root). Each test asks for a database of its own; the server is stopped and its directory
/// deleted on dispose. Durability settings are off: the tests kill silos, never the server.</summary>
public sealed class PostgreSqlServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _directory;
    private int _databases;

    private PostgreSqlServer(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
    }

    /// <summary>The server's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The connection string of the database <paramref name="database"/> (superuser "postgres", no password:
    /// the test server trusts loopback connections).</summary>
    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Pooling=true;Maximum Pool Size=30;Timeout=5";

    /// <summary>Finds the newest installed server binaries; null when PostgreSQL is not installed.</summary>
    public static string? FindBinaries() =>
        System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;

    /// <summary>Initializes and starts a server.</summary>
    public static async Task<PostgreSqlServer> StartAsync()
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException("PostgreSQL is not installed: apt-get install -y postgresql (test.sh does it).");
        var directory = Path.Combine(Path.GetTempPath(), "imv-pg-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        bool root = Environment.UserName == "root";
        if (root) await RunAsync("chown", ["nobody:nogroup", directory], asNobody: false);
        var port = FreePort();
        var server = new PostgreSqlServer(bin, directory, port);
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C"], root);
        var options = $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=64MB";
        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", server.DataDirectory, "-o", options, "-l", Path.Combine(directory, "server.log"), "-w", "-t", "60", "start"], root);
        return server;
    }

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>Creates a new empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string? prefix = null)
    {
        var name = $"{prefix ?? "imv"}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("N")[..6]}";
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Stops the server at once and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], Environment.UserName == "root");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }
        NpgsqlConnection.ClearAllPools();
        try { System.IO.Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asNobody)
    {
        var start = new ProcessStartInfo(asNobody ? "/usr/sbin/runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asNobody)
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add("nobody");
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(file);
        }
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
