using System.Diagnostics;
using Imv.Silo.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Imv.Silo.Tests;

/// <summary>The main job as its own process refuses what it cannot use with one message and an exit code, never a
/// crash: every configuration problem at once (exit 2), a data file of the old runtime named with what to do (exit 1).</summary>
public sealed class StartupTests
{
    private static async Task<(int ExitCode, string StdOut, string StdErr)> RunSiloAsync(string workingDirectory, params string[] args)
    {
        var stdout = new System.Text.StringBuilder();
        var stderr = new System.Text.StringBuilder();
        using var process = SiloProcess.Start(workingDirectory, args.Append($"--urls=http://127.0.0.1:{TestSilo.FreePort()}"), (line, error) =>
        {
            var to = error ? stderr : stdout;
            lock (to) to.AppendLine(line);
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The silo did not exit; it should have refused to start. Output: " + stdout);
        }
        // WaitForExitAsync returns once both redirected streams reached their end.
        return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Every_configuration_problem_is_listed_at_once_without_a_stack_trace_and_exit_code_2()
    {
        var dir = Path.GetDirectoryName(TestSilo.NewDataFile())!;
        var (code, stdout, stderr) = await RunSiloAsync(dir,
            "--Silo:CollectionAge=abc", "--Silo:Bogus=1", "--Silo:DefaultCallTimeout=-00:00:01", "--Silo:Sqlite:WriteBehind=maybe",
            "--Silo:Sqlite:Colour=blue", "--Silo:SqlitePath=" + dir);
        Assert.Equal(2, code);
        foreach (var key in new[] { "Silo:CollectionAge = 'abc'", "Silo:Bogus: unknown setting", "Silo:DefaultCallTimeout", "Silo:Sqlite:WriteBehind = 'maybe'", "Silo:Sqlite:Colour: unknown setting", "Silo:SqlitePath" })
            Assert.Contains(key, stderr, StringComparison.Ordinal);
        Assert.Contains("6 problems", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "imv.db")), "nothing is opened before the configuration is valid");
    }

    [Fact]
    public async Task Cluster_engine_problems_are_listed_at_once_naming_their_keys()
    {
        var dir = Path.GetDirectoryName(TestSilo.NewDataFile())!;
        var (code, stdout, stderr) = await RunSiloAsync(dir,
            "--Silo:Clustering=AdoNet", "--Silo:Reminders=Cassandra", "--Silo:AdvertisedAddress=not-an-ip",
            "--Silo:Membership:ProbeTimeout=00:00:00", "--Silo:Membership:Colour=red", "--Silo:Database:Migrate=perhaps",
            "--Silo:DefaultStorage=Memory", "--Silo:Storage=Sqlite");
        Assert.Equal(2, code);
        foreach (var expected in new[]
        {
            "Silo:Storage = 'Sqlite': silos sharing a membership table (Silo:Clustering = 'AdoNet') need shared storage",
            "Silo:Reminders = 'Cassandra': must be Sqlite, AdoNet, AzureStorage, Memory",
            "ConnectionStrings:PostgreSql: missing",
            "Silo:AdvertisedAddress = 'not-an-ip'",
            "Silo:Membership:ProbeTimeout = '00:00:00'",
            "Silo:Membership:Colour: unknown setting",
            "Silo:Database:Migrate = 'perhaps'",
            "Silo:DefaultStorage = 'Memory' contradicts Silo:Storage = 'Sqlite'",
        })
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recording_provider_problems_are_listed_with_the_others_naming_their_keys()
    {
        var dir = Path.GetDirectoryName(TestSilo.NewDataFile())!;
        var (code, stdout, stderr) = await RunSiloAsync(dir, "--Recording:Provider=Postgres", "--Recording:MaxAge=-01:00:00", "--Silo:CollectionAge=abc");
        Assert.Equal(2, code);
        Assert.Contains("Recording:Provider = 'Postgres': must be Sqlite or PostgreSql", stderr, StringComparison.Ordinal);
        Assert.Contains("Recording:MaxAge", stderr, StringComparison.Ordinal);
        Assert.Contains("Silo:CollectionAge = 'abc'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
        (code, stdout, stderr) = await RunSiloAsync(dir, "--Recording:Provider=PostgreSql");
        Assert.Equal(2, code);
        Assert.Contains("Recording:Provider = 'PostgreSql': needs ConnectionStrings:PostgreSql (missing)", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, "imv.db")), "nothing is opened before the configuration is valid");
    }

    [Fact]
    public async Task A_clustered_gateway_without_tls_is_refused_naming_the_keys_unless_allowed_explicitly()
    {
        var dir = Path.GetDirectoryName(TestSilo.NewDataFile())!;
        // A valid AdoNet configuration otherwise (nothing is opened: the configuration is checked first), with another
        // problem beside it: every problem at once.
        var (code, stdout, stderr) = await RunSiloAsync(dir, "--Silo:Clustering=AdoNet", "--Silo:Storage=AdoNet",
            "--ConnectionStrings:PostgreSql=Host=127.0.0.1;Port=1;Database=none;Username=none", "--Silo:CollectionAge=abc");
        Assert.Equal(2, code);
        Assert.Contains("Silo:Clustering = 'AdoNet': the Orleans gateway", stderr, StringComparison.Ordinal);
        Assert.Contains("Silo:Tls", stderr, StringComparison.Ordinal);
        Assert.Contains("Auth:AllowPlainGatewayBeyondLoopback=true", stderr, StringComparison.Ordinal);
        Assert.Contains("Silo:CollectionAge = 'abc'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);

        var (advertisedCode, _, advertised) = await RunSiloAsync(dir, "--Silo:AdvertisedAddress=10.1.2.3", "--Silo:CollectionAge=abc");
        Assert.Equal(2, advertisedCode);
        Assert.Contains("Silo:AdvertisedAddress = '10.1.2.3': the Orleans gateway", advertised, StringComparison.Ordinal);

        // Allowed explicitly, only the other problem remains.
        var (allowedCode, _, allowed) = await RunSiloAsync(dir, "--Silo:Clustering=AdoNet", "--Silo:Storage=AdoNet",
            "--ConnectionStrings:PostgreSql=Host=127.0.0.1;Port=1;Database=none;Username=none", "--Silo:CollectionAge=abc", "--Auth:AllowPlainGatewayBeyondLoopback=true");
        Assert.Equal(2, allowedCode);
        Assert.DoesNotContain("Orleans gateway", allowed, StringComparison.Ordinal);
        Assert.Contains("Silo:CollectionAge = 'abc'", allowed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_data_file_of_the_old_runtime_is_refused_naming_the_file_and_what_to_do_and_kept()
    {
        var file = TestSilo.NewDataFile();
        using (var connection = new SqliteConnection("Data Source=" + file + ";Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // The old runtime's schema (schema_version table) with one state row in its own encoding.
            command.CommandText = """
                CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
                CREATE TABLE grain_state (state_name TEXT NOT NULL, grain_type TEXT NOT NULL, grain_key TEXT NOT NULL, data BLOB,
                    etag INTEGER, epoch INTEGER, updated_at INTEGER, PRIMARY KEY (state_name, grain_type, grain_key));
                INSERT INTO schema_version VALUES (1, 'grain_state', '2026-11-01');
                INSERT INTO grain_state VALUES ('machine', 'machine', 'press-7', X'0102', 3, 1, 0);
                """;
            command.ExecuteNonQuery();
        }
        byte[] before = await File.ReadAllBytesAsync(file);
        var (code, _, stderr) = await RunSiloAsync(Path.GetDirectoryName(file)!, "--Silo:SqlitePath=" + file, "--Silo:Console:Summary=false");
        Assert.Equal(1, code);
        Assert.Contains(file, stderr, StringComparison.Ordinal);
        Assert.Contains("old Imv runtime", stderr, StringComparison.Ordinal);
        Assert.Contains("Move it aside", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(file));
    }
}
