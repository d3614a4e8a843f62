using Imv.Grains.Interfaces.Commands;

namespace Imv.Grains.Interfaces.Plant;

/// <summary>The way out from a twin to its machine: one per gateway connection (an MQTT connection, an
/// OPC UA endpoint, the simulated plant). A grid in simulation mode registers no real gateway at all.</summary>
public interface IPlantGateway
{
    /// <summary>The connection's name, as twins know it (<see cref="TwinDescription.Gateway"/>).</summary>
    string Name { get; }

    /// <summary>Sends one command to the device. Completes when the protocol acknowledged it
    /// (<see cref="CommandDeliveryStatus.Delivered"/>), when the protocol already proves it was carried out
    /// (<see cref="CommandDeliveryStatus.Applied"/>, e.g. a method call that returned Good), or with
    /// <see cref="CommandDeliveryStatus.Rejected"/> and a reason. Throws only when cancelled.</summary>
    ValueTask<CommandDelivery> SendAsync(DeviceCommand command, CancellationToken cancellationToken);
}
