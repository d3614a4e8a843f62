using Imv.Client.Access;
using Imv.Client.Connection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imv.Client;

/// <summary>The typed client of an Imv cluster: twins, organizations, avatars, commands, assets, the ledger and
/// live subscriptions, over Orleans' client (<see cref="Orleans.IClusterClient"/>, the grain interfaces of
/// Imv.Grains.Interfaces). Get one with <see cref="ConnectAsync(ImvClientOptions, CancellationToken)"/> in a console
/// application, or from a host's services after <see cref="ImvClientSetup.AddImvClient"/>.</summary>
public sealed class ImvClient : IAsyncDisposable
{
    private readonly IHost? _ownedHost;

    /// <summary>Created by the host's services (see <see cref="ImvClientSetup.AddImvClient"/>).</summary>
    public ImvClient(IGrainFactory grains, ImvClientOptions options, ILoggerFactory? loggers = null) : this(grains, options, loggers, null) { }

    private ImvClient(IGrainFactory grains, ImvClientOptions options, ILoggerFactory? loggers, IHost? ownedHost)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(options);
        Grains = grains;
        Options = options;
        _ownedHost = ownedHost;
        var logger = (ILogger?)loggers?.CreateLogger("Imv.Client") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        Twins = new TwinAccess(grains, options, logger);
        Organizations = new OrganizationAccess(grains, options, logger);
        Commands = new CommandAccess(grains, Twins);
        Avatars = new AvatarAccess(grains);
        Assets = new AssetAccess(grains);
        Ledger = new LedgerAccess(grains);
        Replays = new ReplayAccess(grains);
    }

    /// <summary>Orleans' grain factory, for anything the typed accessors do not cover.</summary>
    public IGrainFactory Grains { get; }

    /// <summary>The options in force.</summary>
    public ImvClientOptions Options { get; }

    /// <summary>Machine twins: read, list, watch.</summary>
    public TwinAccess Twins { get; }

    /// <summary>The organization tree and its live aggregates.</summary>
    public OrganizationAccess Organizations { get; }

    /// <summary>Commands to twins, followed to their end.</summary>
    public CommandAccess Commands { get; }

    /// <summary>Avatars.</summary>
    public AvatarAccess Avatars { get; }

    /// <summary>Assets, wallets and transfers.</summary>
    public AssetAccess Assets { get; }

    /// <summary>The tamper-evident ledger.</summary>
    public LedgerAccess Ledger { get; }

    /// <summary>Replays of the plant recording into a sandbox grid.</summary>
    public ReplayAccess Replays { get; }

    /// <summary>Connects to the cluster named by <paramref name="options"/> (a host of its own, with Orleans' client).
    /// Throws <see cref="ClusterUnreachableException"/> naming the cluster and gateways tried when no gateway answered
    /// within <see cref="ImvClientOptions.ConnectTimeout"/>; <see cref="ArgumentException"/> for invalid options.</summary>
    public static async Task<ImvClient> ConnectAsync(ImvClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Orleans", LogLevel.None);
        builder.AddImvClient(options);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            var message = host.Services.GetRequiredService<ConnectDeadline>().Describe(e);
            host.Dispose();
            throw new ClusterUnreachableException(message, e);
        }
        return new ImvClient(host.Services.GetRequiredService<IClusterClient>(), options, host.Services.GetService<ILoggerFactory>(), host);
    }

    /// <summary>Connects with the default options plus <paramref name="gateways"/> (host:port).</summary>
    public static Task<ImvClient> ConnectAsync(string gateways, CancellationToken cancellationToken = default) => ConnectAsync(gateways, null, cancellationToken);

    /// <summary>Connects with the default options plus <paramref name="gateways"/> (host:port) and the API key
    /// <paramref name="apiKey"/> (<see cref="ImvClientOptions.ApiKey"/>).</summary>
    public static Task<ImvClient> ConnectAsync(string gateways, string? apiKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gateways);
        var options = new ImvClientOptions { ApiKey = apiKey };
        options.Gateways.AddRange(gateways.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return ConnectAsync(options, cancellationToken);
    }

    /// <summary>Closes the connection when this client opened it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownedHost is null) return;
        try { await _ownedHost.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false); }
        catch (Exception e) when (e is OperationCanceledException or Orleans.Runtime.OrleansException or TimeoutException) { /* the cluster went away first */ }
        _ownedHost.Dispose();
    }
}
