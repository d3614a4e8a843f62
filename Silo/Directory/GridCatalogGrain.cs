
namespace Imv.Silo.Directory;

/// <summary>Keeps the ids of avatars and loops created through the API (see <see cref="IGridCatalogGrain"/>).</summary>
public sealed class GridCatalogGrain([PersistentState("gridCatalog")] IPersistentState<GridCatalogState> state) : Grain, IGridCatalogGrain
{
    /// <inheritdoc />
    public Task AddAvatarAsync(string avatarId) => AddAsync(state.State.Avatars, avatarId);

    /// <inheritdoc />
    public Task AddLoopAsync(string loopId) => AddAsync(state.State.Loops, loopId);

    /// <inheritdoc />
    public async Task RemoveLoopAsync(string loopId)
    {
        if (state.State.Loops.Remove(loopId)) await state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<GridCatalogState> GetAsync() => Task.FromResult(state.State);

    /// <inheritdoc />
    public async Task SetTwinGatewayAsync(string twinId, string gateway)
    {
        ArgumentException.ThrowIfNullOrEmpty(twinId);
        ArgumentException.ThrowIfNullOrEmpty(gateway);
        var map = state.State.TwinGateways ??= new(StringComparer.Ordinal);
        if (map.TryGetValue(twinId, out var known) && known == gateway) return;
        map[twinId] = gateway;
        await state.WriteStateAsync();
    }

    private async Task AddAsync(List<string> list, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (list.Contains(id, StringComparer.Ordinal)) return;
        list.Add(id);
        await state.WriteStateAsync();
    }
}
