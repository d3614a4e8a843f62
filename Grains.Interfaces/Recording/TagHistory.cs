using Imv.Grains.Interfaces.Twins;
using Orleans;

namespace Imv.Grains.Interfaces.Recording;

/// <summary>One point of a history: a reading (<see cref="Value"/>) or, downsampled, a bucket of
/// <see cref="Count"/> readings starting at <see cref="Timestamp"/> (min, max, avg of numbers; the last value otherwise).</summary>
[GenerateSerializer, Immutable]
public sealed record HistoryPoint([property: Id(0)] DateTimeOffset Timestamp, [property: Id(1)] TagValue Value, [property: Id(2)] double? Min,
    [property: Id(3)] double? Max, [property: Id(4)] double? Avg, [property: Id(5)] int Count);

/// <summary>A tag's history between two instants, from the plant recording.</summary>
[GenerateSerializer, Immutable]
public sealed record TagHistory([property: Id(0)] string TwinId, [property: Id(1)] string Tag, [property: Id(2)] DateTimeOffset From,
    [property: Id(3)] DateTimeOffset To, [property: Id(4)] int MaxPoints, [property: Id(5)] int Readings, [property: Id(6)] bool Downsampled,
    [property: Id(7)] IReadOnlyList<HistoryPoint> Points);
