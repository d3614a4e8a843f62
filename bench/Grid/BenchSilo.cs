using System.Net;
using System.Net.Sockets;
using Imv.Persistence.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Storage;

namespace Imv.Bench.Grid;

/// <summary>One Orleans silo in the bench process, as the main job runs it: localhost clustering on free ports, the
/// grains of Imv.Grains, SQLite storage (write-behind by default) in a temporary folder or memory storage. Calls
/// are made from the silo's host through its <see cref="IGrainFactory"/>, as the gateways and the HTTP API do.</summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly DirectoryInfo _dir;

    private BenchSilo(IHost host, DirectoryInfo dir)
    {
        _host = host;
        _dir = dir;
    }

    /// <summary>The grain factory of the silo.</summary>
    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The silo's services.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>The SQLite grain storage; null with memory storage.</summary>
    public SqliteGrainStorage? Sqlite => _host.Services.GetKeyedService<IGrainStorage>("Default") as SqliteGrainStorage;

    /// <summary>Activations on the silo now.</summary>
    public Task<int> ActivationCountAsync() => Grains.GetGrain<IManagementGrain>(0).GetTotalActivationCount();

    /// <summary>Starts the silo. <paramref name="storage"/>: "sqlite", "sqlite-direct" (no write-behind) or "memory".</summary>
    public static async Task<BenchSilo> StartAsync(string storage, Action<IServiceCollection>? services, CancellationToken cancellationToken, TimeSpan? groupCommitWindow = null)
    {
        var dir = Directory.CreateTempSubdirectory("imv-bench-");
        // The content root is the bench's own directory, not the working directory: the host watches its content root
        // for changed settings, and a bench started from /tmp had that watcher wake for every write of its storage and
        // recording files (in /tmp too), 2 % of the CPU per update.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        // Logs go to standard error: a scenario's last line on standard output is its JSON.
        builder.Logging.ClearProviders().AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(TimeProvider.System);
        services?.Invoke(builder.Services);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort(), FreePort());
            // The main job's defaults (Silo/Hosting/SiloSettings.cs).
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(5));
            silo.Configure<GrainDirectoryOptions>(o => o.CacheSize = 10_000);
            if (storage == "memory")
            {
                silo.AddMemoryGrainStorage("Default");
                silo.UseInMemoryReminderService();
            }
            else
            {
                silo.UseSqlite(o =>
                {
                    o.Path = Path.Combine(dir.FullName, "bench.db");
                    o.WriteBehind = storage != "sqlite-direct";
                    if (groupCommitWindow is { } window) o.GroupCommitWindow = window;
                });
            }
        });
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new BenchSilo(host, dir);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _host.StopAsync();
        _host.Dispose();
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }
}
