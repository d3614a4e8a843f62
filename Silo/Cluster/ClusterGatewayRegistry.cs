using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;

namespace Imv.Silo.Cluster;

/// <summary>Where a twin's commands leave in a cluster: the connection itself when it runs on the twin's silo,
/// otherwise its <see cref="IGatewayOwnerGrain"/>, which sends on the silo that runs it.</summary>
internal sealed class ClusterGatewayRegistry(LocalGatewayHost host, IGrainFactory grains) : IPlantGatewayRegistry
{
    private readonly ConcurrentDictionary<string, RemotePlantGateway> _remotes = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public IPlantGateway? Find(string name) =>
        host.Find(name)
        ?? (host.ConfiguredNames.Contains(name, StringComparer.Ordinal) ? _remotes.GetOrAdd(name, n => new RemotePlantGateway(n, grains)) : null);

    private sealed class RemotePlantGateway(string name, IGrainFactory grains) : IPlantGateway
    {
        public string Name => name;

        public async ValueTask<CommandDelivery> SendAsync(DeviceCommand command, CancellationToken cancellationToken) =>
            await grains.GetGrain<IGatewayOwnerGrain>(name).SendAsync(command).WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
