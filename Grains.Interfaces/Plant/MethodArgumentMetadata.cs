using Imv.Grains.Interfaces.Twins;
using Orleans;

namespace Imv.Grains.Interfaces.Plant;

/// <summary>One input argument of a device method, as the gateway learned it (an OPC UA method's
/// InputArguments property, a JSON mapping's declaration).</summary>
/// <param name="Name">The argument's name.</param>
/// <param name="DataType">The tag value type a command gives for it (an OPC UA UInt16 takes an Integer).</param>
/// <param name="ArrayRank">0 for a single value, 1 for a one-dimensional array, n for n dimensions; -1 when
/// the declaration allows either (OPC UA ValueRank -2 or -3).</param>
/// <param name="SourceDataType">The protocol's own type name (<c>UInt16</c>, <c>LocalizedText</c>), when it says more than <paramref name="DataType"/>.</param>
/// <param name="Description">What the argument means, when the device says.</param>
[GenerateSerializer]
public sealed record MethodArgumentMetadata(
    [property: Id(0)] string Name,
    [property: Id(1)] TagDataType DataType,
    [property: Id(2)] int ArrayRank = 0,
    [property: Id(3)] string? SourceDataType = null,
    [property: Id(4)] string? Description = null);
