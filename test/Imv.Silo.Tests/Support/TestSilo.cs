using System.Text.Json;
using Imv.Silo.Plant;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Imv.Silo.Tests.Support;

/// <summary>A real silo (the main job's composition) on a free 127.0.0.1 port, with a small, fast simulated plant
/// (1 site x 2 lines x 3 machines, 100 ms ticks, no random faults) on a SQLite file, and an HttpClient for its API.</summary>
/// <remarks>
/// Authentication (issue 15) is done here, in one place. The API refuses requests without credentials (401) and
/// checks the caller's role and scopes (403). The silo writes its first administrator API key beside the data file
/// (<c>&lt;data file&gt;.admin-key</c>) and this class reads it:
/// <list type="bullet">
/// <item><see cref="Client"/>, <see cref="GetAsync"/>, <see cref="PostAsync"/>, <see cref="SendAsync"/> act as the
/// administrator (avatar <c>admin</c>, every right everywhere: creating avatars, loops, assets, reading the ledger).</item>
/// <item><see cref="As"/>(avatarId) is a client acting as that (registered) avatar, with an API key the administrator
/// created for it. A command's issuer is the authenticated avatar, never a body field: to command as a worker, use
/// <c>Silo.As("worker.site-1.line-01.1").PostAsync(".../commands", new { tag = ..., value = ... }, 201)</c>
/// (an <c>issuer</c> in the body that differs from the caller is refused with 403).</item>
/// <item><see cref="AsNewAsync"/> registers an avatar with a role and scopes, then returns <see cref="As"/> of it.</item>
/// <item><see cref="Anonymous"/> sends no credentials (401 everywhere but <c>/api/health</c> and <c>/api/login</c>).</item>
/// </list>
/// A silo started as a process (<c>SiloProcess</c>) writes the same file: <c>SiloProcess.AdminClient</c> reads it.
/// </remarks>
public sealed class TestSilo : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ApiClient _admin;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ApiClient> _clients = new(StringComparer.Ordinal);

    private TestSilo(WebApplication app, ApiClient admin, string adminKey, string dataFile)
    {
        _app = app;
        _admin = admin;
        AdminKey = adminKey;
        DataFile = dataFile;
    }

    /// <summary>The API client of the administrator (base address and key set).</summary>
    public HttpClient Client => _admin.Http;

    /// <summary>The administrator's API client.</summary>
    public ApiClient Admin => _admin;

    /// <summary>The administrator's API key (read from the key file the silo wrote).</summary>
    public string AdminKey { get; }

    /// <summary>The API's base address.</summary>
    public Uri BaseAddress => _admin.Http.BaseAddress!;

    /// <summary>A client without credentials (dispose it).</summary>
    public ApiClient Anonymous() => new(BaseAddress, (string?)null, null);

    /// <summary>A client acting as the registered avatar <paramref name="avatarId"/> (one API key per avatar, created
    /// by the administrator at the client's first request and kept for the silo's life).</summary>
    public ApiClient As(string avatarId) =>
        _clients.GetOrAdd(avatarId, id => new ApiClient(BaseAddress, async () =>
        {
            var created = await _admin.PostAsync("/api/keys", new { avatarId = id, name = "test client" }, 201);
            return created.GetProperty("key").GetString()!;
        }, id));

    /// <summary>Registers avatar <paramref name="avatarId"/> with <paramref name="role"/> (Worker, Supervisor, Manager,
    /// Engineer, Regulator, SupplierGuest, Administrator) and <paramref name="scopes"/>, and returns a client acting as it.</summary>
    public async Task<ApiClient> AsNewAsync(string avatarId, string role, params string[] scopes)
    {
        await _admin.PostAsync("/api/avatars", new { avatarId, displayName = avatarId, role, scopes }, 201);
        return As(avatarId);
    }

    /// <summary>The administrator key a silo on <paramref name="dataFile"/> wrote at its first start.</summary>
    public static string AdminKeyFileOf(string dataFile) => dataFile + ".admin-key";

    /// <summary>The SQLite file.</summary>
    public string DataFile { get; }

    /// <summary>The host's services.</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>A free TCP port on the loopback interface.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A new temporary data file path (its directory is created).</summary>
    public static string NewDataFile()
    {
        var dir = Path.Combine(Path.GetTempPath(), "imv-silo-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(dir);
        return Path.Combine(dir, "imv.db");
    }

    /// <summary>Starts a silo on <paramref name="dataFile"/> (a new one when null) with the test plant and
    /// <paramref name="settings"/> on top; returns once the plant bootstrap finished.</summary>
    public static async Task<TestSilo> StartAsync(string? dataFile = null, IReadOnlyDictionary<string, string?>? settings = null, string urls = "http://127.0.0.1:0")
    {
        dataFile ??= NewDataFile();
        var values = new Dictionary<string, string?>
        {
            ["Silo:Name"] = "test-silo",
            // Silos of parallel tests must not share Orleans ports.
            ["Silo:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Silo:Storage"] = "Sqlite",
            ["Silo:SqlitePath"] = dataFile,
            ["Silo:Console:Summary"] = "false",
            ["Simulator:Sites"] = "1",
            ["Simulator:LinesPerSite"] = "2",
            ["Simulator:MachinesPerLine"] = "3",
            ["Simulator:TickInterval"] = "00:00:00.100",
            ["Simulator:FaultRate"] = "0",
            ["Simulator:InitiallyRunning"] = "1",
            ["Plant:ControlLoopShare"] = "0.34",
            ["Plant:ControlLoopPeriod"] = "00:00:00.500",
            ["Logging:LogLevel:Default"] = "Warning",
            // The administrator key goes beside the data file whatever the storage (PostgreSQL, memory), and a new one
            // is made at every start (a restart on a database whose keys exist still gets a key file to read).
            ["Auth:AdminKeyFile"] = AdminKeyFileOf(dataFile),
            ["Auth:NewAdminKey"] = "true",
        };
        if (settings is not null) foreach (var (k, v) in settings) values[k] = v;
        var app = SiloApplication.Build(["--urls", urls], c => c.AddInMemoryCollection(values));
        await app.StartAsync();
        await app.Services.GetRequiredService<PlantBootstrapService>().Completion.WaitAsync(TimeSpan.FromSeconds(60));
        await app.Services.GetRequiredService<Imv.Silo.Security.AdminKeyBootstrap>().Completion.WaitAsync(TimeSpan.FromSeconds(60));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var key = (await File.ReadAllTextAsync(AdminKeyFileOf(dataFile))).Trim();
        return new TestSilo(app, new ApiClient(new Uri(address), key, "admin"), key, dataFile);
    }

    /// <summary>GET as JSON, as the administrator; asserts the status code.</summary>
    public Task<JsonElement> GetAsync(string path, int expectedStatus = 200) => _admin.GetAsync(path, expectedStatus);

    /// <summary>Sends a JSON body as the administrator; asserts the status code.</summary>
    public Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, int expectedStatus) => _admin.SendAsync(method, path, body, expectedStatus);

    /// <summary>POST as JSON, as the administrator; asserts the status code.</summary>
    public Task<JsonElement> PostAsync(string path, object? body, int expectedStatus) => _admin.SendAsync(HttpMethod.Post, path, body, expectedStatus);

    /// <summary>Waits until <paramref name="condition"/> holds, polling; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out waiting for: " + what);
            await Task.Delay(50);
        }
    }

    /// <summary>Stops the host gracefully (the silo flushes its state) and releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        foreach (var c in _clients.Values) c.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
