using Orleans.Concurrency;

namespace Imv.Silo.Directory;

/// <summary>The persisted part of the <see cref="GridCatalog"/>: the avatars and control loops created through
/// the API (the bootstrap's are recomputed at every start). One grain, key <see cref="Key"/>.</summary>
[SiloOnly]
public interface IGridCatalogGrain : IGrainWithStringKey
{
    /// <summary>The grain's key.</summary>
    const string Key = "grid-catalog";

    /// <summary>Records an avatar id. Idempotent.</summary>
    Task AddAvatarAsync(string avatarId);

    /// <summary>Records a control loop id. Idempotent.</summary>
    Task AddLoopAsync(string loopId);

    /// <summary>Forgets a deleted control loop id. Idempotent.</summary>
    Task RemoveLoopAsync(string loopId);

    /// <summary>Every recorded avatar and loop id.</summary>
    /// <summary>Records that <paramref name="gateway"/> described <paramref name="twinId"/> (replacing another gateway).</summary>
    Task SetTwinGatewayAsync(string twinId, string gateway);

    [ReadOnly]
    Task<GridCatalogState> GetAsync();
}
