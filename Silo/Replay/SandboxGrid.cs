using System.Net;
using System.Net.Sockets;
using Imv.Grains.Interfaces.Recording;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;

namespace Imv.Silo.Replay;

/// <summary>An isolated grid for one replay, in this process: a silo of its own (cluster and service id
/// <c>replay-{id}</c>, localhost clustering on a free port, no client gateway), its own storage (in memory:
/// <see cref="SandboxGrainStorage"/>, gone with it), the sandbox clock, and <see cref="SandboxOutputs"/> as its twins' recorder.
/// No <see cref="Imv.Grains.Interfaces.Plant.IPlantGatewayRegistry"/> is registered at all: no command of the sandbox
/// can reach a machine, by construction (its twins are also simulated: a command is applied to the twin and recorded).</summary>
public sealed class SandboxGrid : IAsyncDisposable
{
    private readonly IHost _host;

    private SandboxGrid(IHost host, string clusterId)
    {
        _host = host;
        ClusterId = clusterId;
    }

    /// <summary>The sandbox's cluster id (also its service id).</summary>
    public string ClusterId { get; }

    /// <summary>The sandbox's grains.</summary>
    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    /// <summary>The sandbox's services (tests check what is not registered).</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>Starts a sandbox for replay <paramref name="replayId"/>.</summary>
    public static async Task<SandboxGrid> StartAsync(string replayId, SandboxOutputs outputs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outputs);
        var clusterId = "replay-" + replayId;
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = clusterId });
        // The sandbox's twins log every alarm they raise: only its errors reach the console.
        builder.Logging.ClearProviders().AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Error);
        // The recorded-time clock for the twins and loops only (Orleans' runtime keeps the system clock).
        builder.Services.AddKeyedSingleton<TimeProvider>(Imv.Grains.Time.GrainClock.Key, new ReplayClock());
        builder.Services.AddSingleton<ITwinRecorder>(outputs);
        builder.UseOrleans(silo =>
        {
            // Gateway port 0: no client gateway; nothing outside this process reaches the sandbox.
            silo.UseLocalhostClustering(FreePort(), 0, primarySiloEndpoint: null, serviceId: clusterId, clusterId: clusterId);
            silo.Configure<SiloOptions>(o => o.SiloName = clusterId);
            // Twins stay active for the replay (a collected twin would only be read back from the sandbox's storage).
            silo.Configure<GrainCollectionOptions>(o => o.CollectionAge = TimeSpan.FromHours(2));
            // Its own storage, in memory: the sandbox is thrown away with the replay (SandboxGrainStorage says why).
            silo.Services.AddGrainStorage(Orleans.Providers.ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, SandboxGrainStorage.Create);
            silo.UseInMemoryReminderService();
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Orleans.Runtime.OrleansLifecycleCanceledException cancelled) when (cancellationToken.IsCancellationRequested)
        {
            // Orleans reports a start cancelled between its lifecycle stages with an exception of its own: to the replay
            // it is a stop like any other (Stopped, not Failed).
            host.Dispose();
            throw new OperationCanceledException($"The sandbox of replay {replayId} was stopped while it started.", cancelled, cancellationToken);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new SandboxGrid(host, clusterId);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _host.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            _host.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
