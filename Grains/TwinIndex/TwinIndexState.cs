using Imv.Grains.Interfaces.TwinIndex;
using Orleans;

namespace Imv.Grains.TwinIndex;

/// <summary>The persisted state of a twin status index shard.</summary>
[GenerateSerializer]
public sealed class TwinIndexState
{
    /// <summary>The entries as the first layout stored them (one serialized <see cref="TwinIndexEntry"/> each); read when
    /// a shard stored by that layout activates, then cleared (the shard stores <see cref="Packed"/> instead).</summary>
    [Id(0)] public List<TwinIndexEntry>? Entries { get; set; }

    /// <summary>Whether the shard's key is recorded in the <see cref="ITwinIndexCatalogGrain"/>.</summary>
    [Id(1)] public bool Cataloged { get; set; }

    /// <summary>The entries in the compact stored form (<see cref="TwinIndexCodec"/>); set just before a write and
    /// dropped after it, so that the grain holds its entries once (in its <see cref="TwinStatusIndexBook"/>).</summary>
    [Id(2)] public byte[]? Packed { get; set; }
}

/// <summary>The persisted state of the <see cref="ITwinIndexCatalogGrain"/>.</summary>
[GenerateSerializer]
public sealed class TwinIndexCatalogState
{
    /// <summary>The shard keys, sorted (ordinal).</summary>
    [Id(0)] public List<string> Shards { get; set; } = [];
}
