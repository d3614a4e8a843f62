using Orleans;

namespace Imv.Grains.Interfaces.Plant;

/// <summary>A method a device offers (OPC UA discovery or explicit mapping, a JSON mapping's declaration),
/// with its input arguments: a command calling it by <paramref name="Name"/> goes out through the gateway
/// that described the twin.</summary>
/// <param name="Name">The method's name in the twin.</param>
/// <param name="InputArguments">Its input arguments in order (empty for none).</param>
/// <param name="ArgumentsKnown">False when the device did not say which arguments the method takes (they
/// then go as the command gives them and the device judges them).</param>
/// <param name="SourceAddress">Where the method lives in the protocol (an OPC UA method node id and its
/// object, a JSON command topic).</param>
[GenerateSerializer]
public sealed record MethodMetadata(
    [property: Id(0)] string Name,
    [property: Id(1)] IReadOnlyList<MethodArgumentMetadata> InputArguments,
    [property: Id(2)] bool ArgumentsKnown = true,
    [property: Id(3)] string? SourceAddress = null);
