using Imv.Grains.Interfaces.TwinIndex;
using Orleans;
using Orleans.Runtime;

namespace Imv.Grains.TwinIndex;

/// <summary>Keeps the keys of the index shards that hold twins (see <see cref="ITwinIndexCatalogGrain"/>).</summary>
public sealed class TwinIndexCatalogGrain([PersistentState("twinIndexCatalog")] IPersistentState<TwinIndexCatalogState> state) : Grain, ITwinIndexCatalogGrain
{
    private string[]? _snapshot;

    /// <inheritdoc />
    public async Task AddShardAsync(string shardKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(shardKey);
        var shards = state.State.Shards;
        int i = shards.BinarySearch(shardKey, StringComparer.Ordinal);
        if (i >= 0) return;
        shards.Insert(~i, shardKey);
        _snapshot = null;
        await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<string[]> GetShardsAsync() => Task.FromResult(_snapshot ??= [.. state.State.Shards]);
}
