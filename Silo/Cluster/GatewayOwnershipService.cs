using System.Collections.Concurrent;

namespace Imv.Silo.Cluster;

/// <summary>On every silo of a cluster: once a second, asks the owner grain of every configured gateway connection
/// to be running (<see cref="IGatewayOwnerGrain.EnsureRunningAsync"/>). The call activates an owner whose silo died
/// on a live silo, which starts the connection there: with Imv's membership timing (docs/cluster.md) a connection
/// moves within about 3 s of its silo's death. Registered after the plant bootstrap: this silo's twins are configured
/// before it can start a connection that feeds them.</summary>
internal sealed partial class GatewayOwnershipService(LocalGatewayHost host, IGrainFactory grains, ILogger<GatewayOwnershipService> logger) : BackgroundService
{
    /// <summary>How often the owners are checked.</summary>
    internal static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, string> _owners = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTime> _lastFailureLog = new(StringComparer.Ordinal);

    /// <summary>The silo each connection ran on at the last check (for the API and tests).</summary>
    public IReadOnlyDictionary<string, string> Owners => _owners;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (host.ConfiguredNames.Count == 0) return;
        using var timer = new PeriodicTimer(CheckInterval);
        do
        {
            await Task.WhenAll(host.ConfiguredNames.Select(name => CheckAsync(name, stoppingToken))).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        try { await base.StopAsync(cancellationToken).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    private async Task CheckAsync(string name, CancellationToken stoppingToken)
    {
        try
        {
            var owner = await grains.GetGrain<IGatewayOwnerGrain>(name).EnsureRunningAsync().WaitAsync(TimeSpan.FromSeconds(5), stoppingToken).ConfigureAwait(false);
            if (!_owners.TryGetValue(name, out var known) || known != owner)
            {
                _owners[name] = owner;
                LogOwner(logger, name, owner);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // During a failover calls to the dead owner fail until the cluster declares it dead: expected, logged at
            // most every 10 s per connection.
            var now = DateTime.UtcNow;
            if (!_lastFailureLog.TryGetValue(name, out var last) || now - last > TimeSpan.FromSeconds(10))
            {
                _lastFailureLog[name] = now;
                LogCheckFailed(logger, name, e.GetType().Name, e.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway connection {Gateway} is owned by silo {Silo}")]
    private static partial void LogOwner(ILogger logger, string gateway, string silo);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway connection {Gateway}: its owner did not answer ({Error}: {Message}); retrying every second")]
    private static partial void LogCheckFailed(ILogger logger, string gateway, string error, string message);
}
