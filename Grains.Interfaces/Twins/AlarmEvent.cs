using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>An alarm was raised or cleared on a tag of a twin.</summary>
/// <param name="TwinId">The twin.</param>
/// <param name="Tag">The tag.</param>
/// <param name="Level">The alarm's level (the level raised, or the level that cleared).</param>
/// <param name="Raised">True when raised, false when cleared.</param>
/// <param name="Value">The numeric value that caused the event.</param>
/// <param name="Timestamp">The source timestamp of the reading that caused the event (UTC).</param>
[GenerateSerializer]
public sealed record AlarmEvent(
    [property: Id(0)] string TwinId,
    [property: Id(1)] string Tag,
    [property: Id(2)] AlarmLevel Level,
    [property: Id(3)] bool Raised,
    [property: Id(4)] double Value,
    [property: Id(5)] DateTimeOffset Timestamp);

/// <summary>An alarm that is active now.</summary>
/// <param name="Tag">The tag.</param>
/// <param name="Level">The active level.</param>
/// <param name="RaisedAt">When it was raised (source timestamp, UTC).</param>
/// <param name="Value">The tag's latest value.</param>
[GenerateSerializer]
public sealed record ActiveAlarm(
    [property: Id(0)] string Tag,
    [property: Id(1)] AlarmLevel Level,
    [property: Id(2)] DateTimeOffset RaisedAt,
    [property: Id(3)] double Value);
