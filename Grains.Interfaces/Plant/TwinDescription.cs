using Imv.Grains.Interfaces.Twins;
using Orleans;

namespace Imv.Grains.Interfaces.Plant;

/// <summary>What a gateway learned about a device when it announced itself (a Sparkplug birth, an OPC UA
/// browse): the twin it maps to, the gateway connection that owns it, its tags and its methods.</summary>
/// <param name="TwinId">The twin's id (grain key).</param>
/// <param name="Gateway">The name of the gateway connection that reaches the device; commands go out through it.</param>
/// <param name="Tags">The device's tags with their metadata.</param>
/// <param name="Methods">The device's methods with their input arguments; null when the gateway knows of none
/// (Sparkplug B has no methods). A twin that stores them lets commands call them.</param>
[GenerateSerializer]
public sealed record TwinDescription(
    [property: Id(0)] string TwinId,
    [property: Id(1)] string Gateway,
    [property: Id(2)] IReadOnlyList<TagMetadata> Tags,
    [property: Id(3)] IReadOnlyList<MethodMetadata>? Methods = null);
