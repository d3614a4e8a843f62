namespace Imv.Grains.Interfaces.Plant;

/// <summary>Finds the gateway connection a twin's commands go out through. The silo implements it over the
/// <see cref="IPlantGateway"/> services it registered; a grid in simulation mode has none, so every lookup fails.</summary>
public interface IPlantGatewayRegistry
{
    /// <summary>The gateway with this name; null when the silo has none by that name.</summary>
    IPlantGateway? Find(string name);
}
