using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>One new reading of one tag, as a gateway hands it to a twin.</summary>
/// <param name="Tag">The tag's name within the twin.</param>
/// <param name="Value">The value read.</param>
/// <param name="Quality">The quality the source reported.</param>
/// <param name="SourceTimestamp">When the plant sampled the value (UTC).</param>
/// <param name="Sequence">A number that grows with every reading from the same source; orders readings
/// with the same timestamp. 0 when the source has none.</param>
[GenerateSerializer]
public readonly record struct TagUpdate(
    [property: Id(0)] string Tag,
    [property: Id(1)] TagValue Value,
    [property: Id(2)] TagQuality Quality,
    [property: Id(3)] DateTimeOffset SourceTimestamp,
    [property: Id(4)] long Sequence);
