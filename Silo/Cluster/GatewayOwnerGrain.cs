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
        await host.StopAsync(Name, cancellationToken);
    }

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
