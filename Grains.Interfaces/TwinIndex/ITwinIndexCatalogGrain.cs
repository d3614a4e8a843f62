using Imv.Grains.Interfaces.Access;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.TwinIndex;

/// <summary>The keys of the twin status index shards that ever held a twin, so that a listing over every twin knows
/// which shards to ask (grains cannot be enumerated). Holds shard keys only (a few per organization), never a twin.
/// One grain, key <see cref="Key"/>; written through.</summary>
[SiloOnly]
public interface ITwinIndexCatalogGrain : IGrainWithStringKey
{
    /// <summary>The grain's key.</summary>
    const string Key = "twin-index";

    /// <summary>Records a shard key. Idempotent.</summary>
    Task AddShardAsync(string shardKey);

    /// <summary>Every recorded shard key, ordered (ordinal).</summary>
    [ReadOnly]
    Task<string[]> GetShardsAsync();
}
