using Imv.Grains.Interfaces.TwinIndex;
using Orleans;

namespace Imv.Grains.TwinIndex;

/// <summary>The persisted state of a twin status index shard.</summary>
[GenerateSerializer]
public sealed class TwinIndexState
{
    /// <summary>The entries, sorted by twin id (ordinal).</summary>
    [Id(0)] public List<TwinIndexEntry> Entries { get; set; } = [];

    /// <summary>Whether the shard's key is recorded in the <see cref="ITwinIndexCatalogGrain"/>.</summary>
    [Id(1)] public bool Cataloged { get; set; }
}

/// <summary>The persisted state of the <see cref="ITwinIndexCatalogGrain"/>.</summary>
[GenerateSerializer]
public sealed class TwinIndexCatalogState
{
    /// <summary>The shard keys, sorted (ordinal).</summary>
    [Id(0)] public List<string> Shards { get; set; } = [];
}
