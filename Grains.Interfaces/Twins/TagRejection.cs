using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>The last reading a twin refused for a tag, and how many it refused in all.</summary>
/// <param name="Reason">Why, e.g. <c>value is DoubleArray, tag 'Vibration' is Double</c>.</param>
/// <param name="At">When the twin refused it (UTC).</param>
/// <param name="Count">How many readings of the tag the twin refused.</param>
/// <param name="Expected">The tag's data type.</param>
/// <param name="Received">The refused value's data type.</param>
[GenerateSerializer, Immutable]
public sealed record TagRejection(
    [property: Id(0)] string Reason,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] long Count,
    [property: Id(3)] TagDataType Expected,
    [property: Id(4)] TagDataType Received);
