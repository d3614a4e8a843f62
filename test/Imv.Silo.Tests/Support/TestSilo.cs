using System.Net.Http.Json;
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
public sealed class TestSilo : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestSilo(WebApplication app, HttpClient client, string dataFile)
    {
        _app = app;
        Client = client;
        DataFile = dataFile;
    }

    /// <summary>The API client (base address set).</summary>
    public HttpClient Client { get; }

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
    public static async Task<TestSilo> StartAsync(string? dataFile = null, IReadOnlyDictionary<string, string?>? settings = null)
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
        };
        if (settings is not null) foreach (var (k, v) in settings) values[k] = v;
        var app = SiloApplication.Build(["--urls", "http://127.0.0.1:0"], c => c.AddInMemoryCollection(values));
        await app.StartAsync();
        await app.Services.GetRequiredService<PlantBootstrapService>().Completion.WaitAsync(TimeSpan.FromSeconds(60));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var client = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(60) };
        return new TestSilo(app, client, dataFile);
    }

    /// <summary>GET as JSON; asserts the status code.</summary>
    public async Task<JsonElement> GetAsync(string path, int expectedStatus = 200)
    {
        using var response = await Client.GetAsync(new Uri(path, UriKind.Relative));
        return await ReadAsync(response, expectedStatus, "GET " + path);
    }

    /// <summary>Sends a JSON body; asserts the status code.</summary>
    public async Task<JsonElement> SendAsync(HttpMethod method, string path, object? body, int expectedStatus)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null) request.Content = body is string raw ? new StringContent(raw, System.Text.Encoding.UTF8, "application/json") : JsonContent.Create(body);
        using var response = await Client.SendAsync(request);
        return await ReadAsync(response, expectedStatus, $"{method} {path}");
    }

    /// <summary>POST as JSON; asserts the status code.</summary>
    public Task<JsonElement> PostAsync(string path, object? body, int expectedStatus) => SendAsync(HttpMethod.Post, path, body, expectedStatus);

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, int expectedStatus, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"{what}: expected {expectedStatus}, got {(int)response.StatusCode}: {text}");
        if (string.IsNullOrEmpty(text)) return default;
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

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
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
