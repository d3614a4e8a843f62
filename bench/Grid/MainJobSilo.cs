using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Imv.Client;
using Imv.Silo;
using Imv.Silo.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Imv.Bench.Grid;

/// <summary>The main job's composition in the bench's process: one silo on SQLite in a temporary folder, the HTTP API
/// and the Orleans gateway on free loopback ports, and the simulated plant of one site (no faults, no control
/// loops, one tick a second). Clients sign in with the administrator key the first start writes beside the data
/// file. Disposing stops the silo and deletes the folder.</summary>
internal sealed class MainJobSilo : IAsyncDisposable
{
    private readonly string _data;

    private MainJobSilo(WebApplication app, string data, int httpPort, int gatewayPort)
    {
        App = app;
        _data = data;
        HttpAddress = new Uri("http://127.0.0.1:" + httpPort.ToString(CultureInfo.InvariantCulture));
        GatewayEndpoint = "127.0.0.1:" + gatewayPort.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The running silo.</summary>
    public WebApplication App { get; }

    /// <summary>Where its HTTP API listens.</summary>
    public Uri HttpAddress { get; }

    /// <summary>Its Orleans gateway, as the SDK takes it.</summary>
    public string GatewayEndpoint { get; }

    /// <summary>Starts a silo whose simulated plant has <paramref name="linesPerSite"/> x <paramref name="machinesPerLine"/> machines.</summary>
    public static async Task<MainJobSilo> StartAsync(string scenario, int linesPerSite, int machinesPerLine, CancellationToken cancellationToken)
    {
        int http = FreePort(), gateway = FreePort();
        var data = Path.Combine(Path.GetTempPath(), $"imv-bench-{scenario}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        var settings = new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:" + http.ToString(CultureInfo.InvariantCulture),
            ["Silo:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = gateway.ToString(CultureInfo.InvariantCulture),
            ["Silo:SqlitePath"] = Path.Combine(data, "imv.db"),
            ["Silo:Console:Summary"] = "false",
            ["Silo:Dashboard"] = "false",
            ["Simulator:Sites"] = "1",
            ["Simulator:LinesPerSite"] = linesPerSite.ToString(CultureInfo.InvariantCulture),
            ["Simulator:MachinesPerLine"] = machinesPerLine.ToString(CultureInfo.InvariantCulture),
            ["Simulator:TickInterval"] = "00:00:01",
            ["Simulator:FaultRate"] = "0",
            ["Plant:ControlLoopShare"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var app = SiloApplication.Build([], c => c.AddInMemoryCollection(settings));
        var silo = new MainJobSilo(app, data, http, gateway);
        try { await app.StartAsync(cancellationToken); }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
        return silo;
    }

    /// <summary>The administrator key the silo's first start wrote beside its data file, once written.</summary>
    public async Task<string> AdminKeyAsync(CancellationToken cancellationToken)
    {
        await App.Services.GetRequiredService<AdminKeyBootstrap>().Completion.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        return (await File.ReadAllTextAsync(Path.Combine(_data, "imv.db.admin-key"), cancellationToken)).Trim();
    }

    /// <summary>An SDK client connected through the gateway with <paramref name="apiKey"/>.</summary>
    public Task<ImvClient> ConnectAsync(string apiKey, CancellationToken cancellationToken) =>
        ImvClient.ConnectAsync(GatewayEndpoint, apiKey, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
