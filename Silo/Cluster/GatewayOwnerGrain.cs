using Imv.Grains.Interfaces.Commands;
using Orleans.Concurrency;

namespace Imv.Silo.Cluster;

/// <summary>Runs its gateway connection on the silo it is activated on (see <see cref="IGatewayOwnerGrain"/>).
/// Reentrant: commands to many twins go out through one connection at once, as they do on a single silo.</summary>
[Reentrant]
internal sealed partial class GatewayOwnerGrain(LocalGatewayHost host, ILocalSiloDetails silo, ILogger<GatewayOwnerGrain> logger) : Grain, IGatewayOwnerGrain
{
    private string Name => this.GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await host.StartAsync(Name, cancellationToken);
        LogOwned(logger, Name, silo.Name);
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        LogReleased(logger, Name, silo.Name, reason.Description);
        try
        {
            await host.StopAsync(Name, cancellationToken);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A silo shutting down may no longer reach the twins the connection tells it is stopping: the connection
            // is stopped all the same, and the next owner marks its twins again.
            LogStopFailed(logger, e, Name, silo.Name);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gateway connection {Gateway} stopped on silo {Silo} with an error")]
    private static partial void LogStopFailed(ILogger logger, Exception exception, string gateway, string silo);

    /// <inheritdoc />
    public Task<string> EnsureRunningAsync() => Task.FromResult(silo.Name);

    /// <inheritdoc />
    public async Task<CommandDelivery> SendAsync(DeviceCommand command)
    {
        var gateway = host.Find(Name);
        if (gateway is null) return CommandDelivery.Rejected($"gateway: '{Name}' is not running on silo {silo.Name}");
        var lifetime = command.ExpiresAt == default ? TimeSpan.FromMinutes(1) : command.ExpiresAt - DateTimeOffset.UtcNow;
        using var expiry = new CancellationTokenSource(lifetime > TimeSpan.Zero ? lifetime : TimeSpan.FromMilliseconds(1));
        return await gateway.SendAsync(command, expiry.Token);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway connection {Gateway} runs on silo {Silo}")]
    private static partial void LogOwned(ILogger logger, string gateway, string silo);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway connection {Gateway} leaves silo {Silo}: {Reason}")]
    private static partial void LogReleased(ILogger logger, string gateway, string silo, string reason);
}
