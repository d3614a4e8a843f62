using Imv.Grains.Interfaces.Commands;

namespace Imv.Silo.Cluster;

/// <summary>The owner of one gateway connection (an MQTT broker connection, an OPC UA endpoint, the simulated
/// plant) in a cluster, keyed by the connection's name. Orleans keeps one activation of it in the cluster: the
/// connection runs on the silo of that activation, started when it activates and stopped when it deactivates. When
/// that silo dies, the next <see cref="EnsureRunningAsync"/> (every silo calls it every second) activates it, and so
/// the connection, on a live silo.</summary>
[SiloOnly]
public interface IGatewayOwnerGrain : IGrainWithStringKey
{
    /// <summary>Activates the owner (starting the connection on its silo) if needed; returns the silo's name.</summary>
    Task<string> EnsureRunningAsync();

    /// <summary>Sends a command through the connection, on the owner's silo.</summary>
    Task<CommandDelivery> SendAsync(DeviceCommand command);
}
