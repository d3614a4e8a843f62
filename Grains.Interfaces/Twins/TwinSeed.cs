using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>The state a replay's sandbox twin starts from: each tag's last reading accepted before the replay's start, as
/// the recording holds it. Set with <see cref="IMachineGrain.SeedAsync"/>: not a new reading (nothing recorded, no alarm
/// transition, counters untouched).</summary>
/// <param name="At">The replay's start: the instant the twin is seeded at (its status window starts there).</param>
/// <param name="Tags">The tags' last readings before <paramref name="At"/>.</param>
/// <remarks>Immutable: the sender must not change the array after the call, so the call passes it without a copy.</remarks>
[GenerateSerializer, Immutable]
public sealed record TwinSeed([property: Id(0)] DateTimeOffset At, [property: Id(1)] SeededTag[] Tags);

/// <summary>A tag's last reading before a replay's start.</summary>
/// <param name="Reading">The reading: value, quality, source time and sequence as recorded.</param>
/// <param name="ReceivedAt">When the twin accepted it.</param>
[GenerateSerializer, Immutable]
public readonly record struct SeededTag([property: Id(0)] TagUpdate Reading, [property: Id(1)] DateTimeOffset ReceivedAt);
