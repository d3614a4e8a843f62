using Imv.Gateways.MqttGateway;
using Imv.Gateways.OpcUa.Gateway;
using Imv.Grains.Interfaces.Plant;
using Microsoft.Extensions.DependencyInjection;

namespace Imv.Gateways.Twins;

/// <summary>Finds the gateway connection a twin's commands leave through: the gateways registered as
/// <see cref="IPlantGateway"/> (the simulated plant), then the MQTT connections, then the OPC UA endpoints,
/// by name. A grid in simulation mode registers only the simulator.</summary>
public sealed class PlantGatewayRegistry(IServiceProvider services) : IPlantGatewayRegistry
{
    /// <inheritdoc />
    public IPlantGateway? Find(string name)
    {
        foreach (var gateway in services.GetServices<IPlantGateway>())
            if (gateway.Name == name) return gateway;
        return services.GetService<MqttGatewayService>()?.FindGateway(name)
            ?? services.GetService<OpcUaGatewayService>()?.Gateways.FirstOrDefault(g => g.Name == name);
    }
}
