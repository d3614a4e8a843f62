using Imv.Grains.Interfaces.Access;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.TwinIndex;

/// <summary>One shard of the twin status index: the twins of one organization (or of none) whose id hashes to the
/// shard, with their last pushed status, for listings and filters that must not call every twin and must be the
/// same through any silo of a cluster. Key: <see cref="TwinStatusIndex.ShardKey"/>. Fed by the twins; written behind
/// (a new twin within a second, a status within 5 s).</summary>
public interface ITwinStatusIndexGrain : IGrainWithStringKey
{
    /// <summary>Adds or replaces a twin's entry (the twin calls it when configured or described, and with every status
    /// push). A status older than the one held (by <see cref="TwinIndexEntry.ReportedAt"/>) keeps the
    /// held status but still takes the new place.</summary>
    [SiloOnly]
    Task SetAsync(TwinIndexEntry entry);

    /// <summary>Removes a twin (it moved to another organization). Idempotent.</summary>
    [SiloOnly]
    Task RemoveAsync(string twinId);

    /// <summary>The entries passing <paramref name="query"/>'s filter: how many, their weight, and the first ones in id order.</summary>
    [ClientRight(Right.Read)]
    [ReadOnly]
    Task<TwinIndexPage> QueryAsync(TwinIndexQuery query);
}
