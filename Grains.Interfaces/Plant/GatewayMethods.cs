using Orleans;

namespace Imv.Grains.Interfaces.Plant;

/// <summary>The methods one gateway described for a twin (<see cref="TwinDescription.Methods"/>), kept by the
/// twin per gateway: a new description from that gateway replaces them, one from another gateway leaves them.</summary>
/// <param name="Gateway">The gateway connection that described them.</param>
/// <param name="Methods">The methods with their input arguments.</param>
[GenerateSerializer]
public sealed record GatewayMethods(
    [property: Id(0)] string Gateway,
    [property: Id(1)] IReadOnlyList<MethodMetadata> Methods);
