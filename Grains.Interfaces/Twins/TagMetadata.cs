using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>What a twin knows about one tag besides its value.</summary>
/// <param name="Name">The tag's name within the twin.</param>
/// <param name="DataType">The tag's data type.</param>
/// <param name="Unit">Engineering unit, e.g. "degC"; null when unknown.</param>
/// <param name="Writable">Whether commands may write the tag.</param>
/// <param name="Minimum">Lowest value a command may write; null for no limit.</param>
/// <param name="Maximum">Highest value a command may write; null for no limit.</param>
/// <param name="ExpectedPeriod">The tag's staleness bound: how often it is expected to update; a value received longer ago
/// reads Uncertain (stale). Null: the twin's bound (<c>TwinConfiguration.StaleAfter</c>, default 60 s); <see cref="TimeSpan.Zero"/>: never stale.</param>
/// <param name="ArrayRank">0 for a single value, 1 for a one-dimensional array, n for n dimensions (a matrix
/// arrives flattened); -1 when the source allows either and the value decides (OPC UA ValueRank -2, -3).</param>
/// <param name="SourceGateway">The gateway connection the tag comes from; null when not from a gateway.</param>
/// <param name="SourceAddress">The tag's address in the protocol: an OPC UA node id (<c>ns=1;s=Plant.M1.Speed</c>),
/// a Sparkplug metric name, a JSON topic and key.</param>
/// <param name="SourceDataType">The protocol's own type name (<c>Int16</c>, <c>Float</c>, <c>UInt64</c>), when it says
/// more than <paramref name="DataType"/>.</param>
[GenerateSerializer]
public sealed record TagMetadata(
    [property: Id(0)] string Name,
    [property: Id(1)] TagDataType DataType,
    [property: Id(2)] string? Unit = null,
    [property: Id(3)] bool Writable = false,
    [property: Id(4)] double? Minimum = null,
    [property: Id(5)] double? Maximum = null,
    [property: Id(6)] TimeSpan? ExpectedPeriod = null,
    [property: Id(7)] int ArrayRank = 0,
    [property: Id(8)] string? SourceGateway = null,
    [property: Id(9)] string? SourceAddress = null,
    [property: Id(10)] string? SourceDataType = null);
