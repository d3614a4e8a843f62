using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.TwinIndex;

/// <summary>An index shard's answer to a <see cref="TwinIndexQuery"/>.</summary>
/// <param name="Matching">Entries of the shard that pass the filter.</param>
/// <param name="Weight">Their total weight (<see cref="TwinIndexQuery.WeightOf(TwinIndexEntry)"/>): the matching count, or their active alarms.</param>
/// <param name="First">The first matching entries in twin id order (ordinal), as many as the query's Take asks.</param>
[GenerateSerializer, Immutable]
public sealed record TwinIndexPage(
    [property: Id(0)] int Matching,
    [property: Id(1)] long Weight,
    [property: Id(2)] TwinIndexEntry[] First)
{
    /// <summary>Nothing matched.</summary>
    public static readonly TwinIndexPage Empty = new(0, 0, []);
}
