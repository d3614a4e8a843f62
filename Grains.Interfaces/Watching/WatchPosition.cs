using Orleans;

namespace Imv.Grains.Interfaces.Watching;

/// <summary>Where a watched grain's change feed stands. <see cref="Epoch"/> identifies the grain's activation
/// (a new activation, after a deactivation or a silo failure, starts a new epoch at sequence 0); <see cref="Sequence"/>
/// counts the changes published in that epoch. A watcher that sees the epoch change, or a sequence number skip,
/// knows it missed changes.</summary>
/// <param name="Epoch">The activation's epoch (random, never 0).</param>
/// <param name="Sequence">The last change published in the epoch.</param>
[GenerateSerializer, Immutable]
public readonly record struct WatchPosition([property: Id(0)] long Epoch, [property: Id(1)] long Sequence);
