using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>Readings one twin accepted at several instants, in the order it accepted them: what a replay feeds from a
/// recording (one call for many recorded entries instead of one call each).</summary>
/// <param name="Entries">The recorded entries, oldest first.</param>
/// <remarks>Immutable: the sender must not change the arrays after the call, so the call passes them without a copy.</remarks>
[GenerateSerializer, Immutable]
public sealed record TimedBatch([property: Id(0)] TimedReadings[] Entries);

/// <summary>Readings accepted at one instant.</summary>
/// <param name="At">When the twin accepted them: the instant the twin applies them at (its "now" for them).</param>
/// <param name="Updates">The readings.</param>
[GenerateSerializer, Immutable]
public readonly record struct TimedReadings([property: Id(0)] DateTimeOffset At, [property: Id(1)] TagUpdate[] Updates);
