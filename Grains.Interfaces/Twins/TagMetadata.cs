using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>What a twin knows about one tag besides its value.</summary>
/// <param name="Name">The tag's name within the twin.</param>
/// <param name="DataType">The tag's data type.</param>
/// <param name="Unit">Engineering unit, e.g. "degC"; null when unknown.</param>
/// <param name="Writable">Whether commands may write the tag.</param>
/// <param name="Minimum">Lowest value a command may write; null for no limit.</param>
/// <param name="Maximum">Highest value a command may write; null for no limit.</param>
/// <param name="ExpectedPeriod">How often the tag is expected to update; older values turn Uncertain. Null: never.</param>
[GenerateSerializer]
public sealed record TagMetadata(
    [property: Id(0)] string Name,
    [property: Id(1)] TagDataType DataType,
    [property: Id(2)] string? Unit = null,
    [property: Id(3)] bool Writable = false,
    [property: Id(4)] double? Minimum = null,
    [property: Id(5)] double? Maximum = null,
    [property: Id(6)] TimeSpan? ExpectedPeriod = null);
