using Imv.Grains.Interfaces.Access;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Assets;

/// <summary>An industrial asset: a unique virtual or intellectual property, or a digital currency. Key: the
/// asset id (for a currency, its code). Registration and minting are appended to the ledger.</summary>
public interface IAssetGrain : IGrainWithStringKey
{
    /// <summary>Registers the asset. A unique asset goes into its owner's wallet. Idempotent with the same
    /// registration; a different registration of an existing asset throws <see cref="InvalidOperationException"/>.</summary>
    [SiloOnly]
    Task<AssetInfo> RegisterAsync(AssetRegistration registration);

    /// <summary>The asset, or null when not registered.</summary>
    [ClientRight(Right.Read, TargetKind.Asset)]
    [ReadOnly]
    Task<AssetInfo?> GetInfoAsync();

    /// <summary>Mints <paramref name="amount"/> minor units of a currency into <paramref name="walletId"/>.
    /// Only the issuer may mint (<see cref="UnauthorizedAccessException"/>); only currencies can be minted
    /// (<see cref="InvalidOperationException"/>). Idempotent on <paramref name="mintId"/>: a repeated id mints nothing.</summary>
    [SiloOnly]
    Task<AssetInfo> MintAsync(string mintId, string issuer, string walletId, long amount);

    /// <summary>Internal step of a transfer: records the new owner of a unique asset, ordered by the transfer's
    /// ledger index (an older index than the last applied is ignored). Idempotent.</summary>
    [SiloOnly]
    Task SetOwnerAsync(long ledgerIndex, string newOwner);
}
