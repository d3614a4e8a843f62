
namespace Imv.Silo.Directory;

/// <summary>Keeps the ids of avatars and loops created through the API (see <see cref="IGridCatalogGrain"/>).</summary>
public sealed class GridCatalogGrain([PersistentState("gridCatalog")] IPersistentState<GridCatalogState> state) : Grain, IGridCatalogGrain
{
    /// <inheritdoc />
    public Task AddAvatarAsync(string avatarId) => AddAsync(state.State.Avatars, avatarId);

    /// <inheritdoc />
    public Task AddLoopAsync(string loopId) => AddAsync(state.State.Loops, loopId);

    /// <inheritdoc />
    public Task<GridCatalogState> GetAsync() => Task.FromResult(state.State);

    private async Task AddAsync(List<string> list, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        if (list.Contains(id, StringComparer.Ordinal)) return;
        list.Add(id);
        await state.WriteStateAsync();
    }
}
