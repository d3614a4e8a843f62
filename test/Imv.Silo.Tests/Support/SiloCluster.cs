using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Imv.Silo.Tests.Support;

/// <summary>Several main-job processes (Imv.Silo.dll) clustered on one PostgreSQL database, each on free loopback
/// ports with its own HTTP API, started one after the other (the first bootstraps the simulated plant). Kills with
/// SIGKILL; disposing kills what is left. Used by the cluster tests and by <c>bench -- failover</c>.</summary>
public sealed class SiloCluster : IAsyncDisposable
{
    private readonly List<Member> _members = [];
    private readonly string _connectionString;
    private readonly string _directory;

    private SiloCluster(string connectionString, string directory)
    {
        _connectionString = connectionString;
        _directory = directory;
    }

    /// <summary>Where the first silo writes the administrator API key (every member is given the same file).</summary>
    public string AdminKeyFile => Path.Combine(_directory, "admin.key");

    /// <summary>The silos, in start order.</summary>
    public IReadOnlyList<Member> Members => _members;

    /// <summary>The silos still running.</summary>
    public IEnumerable<Member> Alive => _members.Where(m => !m.Killed);

    /// <summary>One silo process.</summary>
    public sealed class Member(string name, int httpPort, Process process, string adminKeyFile) : IDisposable
    {
        private readonly Queue<string> _lines = new();

        /// <summary>Its <c>Silo:Name</c>.</summary>
        public string Name { get; } = name;

        /// <summary>The HTTP API's client, acting as the administrator: the first silo of the cluster writes the
        /// administrator key to the file every member is given; the client reads it once it exists.</summary>
        public HttpClient Http { get; } = new(new AdminKeyHandler(adminKeyFile)) { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(30) };

        /// <summary>The process.</summary>
        public Process Process { get; } = process;

        /// <summary>Whether it was killed.</summary>
        public bool Killed { get; internal set; }

        /// <summary>The last output lines (both streams).</summary>
        public string Output
        {
            get { lock (_lines) return string.Join('\n', _lines); }
        }

        /// <summary>The gateway connections this silo logged taking over, with when (UTC).</summary>
        public ConcurrentDictionary<string, DateTime> Owned { get; } = new(StringComparer.Ordinal);

        private sealed class AdminKeyHandler(string keyFile) : DelegatingHandler(new HttpClientHandler())
        {
            private string? _key;

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                if (_key is null && File.Exists(keyFile)) _key = (await File.ReadAllTextAsync(keyFile, cancellationToken).ConfigureAwait(false)).Trim();
                if (_key is not null) request.Headers.TryAddWithoutValidation("X-Api-Key", _key);
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
        }

        internal void OnLine(string line)
        {
            const string marker = "Gateway connection ";
            int at = line.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0 && line.EndsWith(" runs on silo " + Name, StringComparison.Ordinal))
                Owned[line[(at + marker.Length)..line.IndexOf(' ', at + marker.Length)]] = DateTime.UtcNow;
            lock (_lines)
            {
                _lines.Enqueue(line);
                if (_lines.Count > 2000) _lines.Dequeue();
            }
        }

        /// <inheritdoc />
        public void Dispose()
        {
            Http.Dispose();
            Process.Dispose();
        }
    }

    /// <summary>Starts <paramref name="count"/> silos on the (migrated) database; <paramref name="extraArgs"/> go to
    /// every silo. Returns once every silo answers HTTP and the membership table lists them all active.</summary>
    public static async Task<SiloCluster> StartAsync(string connectionString, int count, IReadOnlyList<string> extraArgs, TimeSpan timeout)
    {
        var directory = Path.Combine(Path.GetTempPath(), "imv-cluster-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var cluster = new SiloCluster(connectionString, directory);
        try
        {
            for (int i = 1; i <= count; i++)
            {
                // The first silo bootstraps the plant (organizations, avatars, loops) before it answers HTTP; the others
                // find the twins configured.
                var member = cluster.StartMember($"silo-{i}", [.. extraArgs, "--Plant:Bootstrap=" + (i == 1 ? "true" : "false")]);
                await cluster.WaitHttpAsync(member, timeout).ConfigureAwait(false);
            }
            await cluster.WaitActiveAsync(count, timeout).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private Member StartMember(string name, IReadOnlyList<string> extraArgs)
    {
        int http = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _directory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Imv.Silo.dll"));
        foreach (var a in new[]
        {
            "--urls", $"http://127.0.0.1:{http}", "--Silo:Name=" + name, "--Silo:Clustering=AdoNet", "--Silo:Storage=AdoNet",
            // Loopback only in fact (127.0.0.1), but clustered: the gateway rule asks for TLS or this (docs/cluster.md).
            "--Auth:AllowPlainGatewayBeyondLoopback=true",
            "--Silo:AdvertisedAddress=127.0.0.1", $"--Silo:SiloPort={FreePort()}", $"--Silo:GatewayPort={FreePort()}",
            "--ConnectionStrings:PostgreSql=" + _connectionString, "--Silo:Console:Summary=false", "--Auth:AdminKeyFile=" + AdminKeyFile,
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Imv.Silo.Cluster=Information",
        }.Concat(extraArgs))
            start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        var member = new Member(name, http, process, AdminKeyFile);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) member.OnLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) member.OnLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _members.Add(member);
        return member;
    }

    private async Task WaitHttpAsync(Member member, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (member.Process.HasExited) throw new InvalidOperationException($"{member.Name} exited ({member.Process.ExitCode}): {member.Output}");
            try
            {
                using var response = await member.Http.GetAsync(new Uri("/api/health", UriKind.Relative)).ConfigureAwait(false);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{member.Name} did not answer HTTP within {timeout}: {member.Output}");
            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until the membership table lists <paramref name="count"/> active silos.</summary>
    public async Task WaitActiveAsync(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await ActiveCountAsync().ConfigureAwait(false) != count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The membership table does not list {count} active silos.");
            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    /// <summary>Active silos in the membership table (status 3).</summary>
    public async Task<int> ActiveCountAsync()
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM imv_cluster_member WHERE status = 3", connection);
        return Convert.ToInt32(await command.ExecuteScalarAsync().ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the membership table marks the silo named <paramref name="name"/> dead (status 6).</summary>
    public async Task WaitDeadAsync(string name, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync().ConfigureAwait(false);
        while (true)
        {
            await using var command = new NpgsqlCommand("SELECT count(*) FROM imv_cluster_member WHERE silo_name = @name AND status = 6", connection);
            command.Parameters.AddWithValue("name", name);
            if (Convert.ToInt32(await command.ExecuteScalarAsync().ConfigureAwait(false), CultureInfo.InvariantCulture) > 0) return;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{name} was not declared dead within {timeout}.");
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    /// <summary>The silo that last logged taking <paramref name="gateway"/> over (the connection's owner); null when none did.</summary>
    public Member? OwnerOf(string gateway)
    {
        return Alive.Where(m => m.Owned.ContainsKey(gateway)).OrderByDescending(m => m.Owned[gateway]).FirstOrDefault();
    }

    /// <summary>Kills <paramref name="member"/> with SIGKILL and waits for the process to end.</summary>
    public async Task KillAsync(Member member)
    {
        member.Killed = true;
        member.Process.Kill(entireProcessTree: true);
        await member.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
    }

    /// <summary>Kills every silo still running and deletes the working directory.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var m in _members)
        {
            try
            {
                if (!m.Process.HasExited) await KillAsync(m).ConfigureAwait(false);
            }
            catch (InvalidOperationException) { }
            m.Dispose();
        }
        try { System.IO.Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
