using Imv.Grains.Interfaces.Access;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Assets;

/// <summary>The wallet of one identity. Key: the owner identity (an avatar or organization key, a DID).
/// Balances change only through idempotent, journaled steps keyed by a transfer (or mint, or registration)
/// id, so a step that is repeated after a crash or a retry changes nothing the second time.</summary>
public interface IWalletGrain : IGrainWithStringKey
{
    /// <summary>Everything the wallet holds.</summary>
    [ClientRight(Right.Read)]
    [ReadOnly]
    Task<WalletSnapshot> GetSnapshotAsync();

    /// <summary>The balance of one currency, in minor units.</summary>
    [ClientRight(Right.Read)]
    [ReadOnly]
    Task<long> GetBalanceAsync(string currency);

    /// <summary>Whether the wallet holds a unique asset.</summary>
    [ClientRight(Right.Read)]
    [ReadOnly]
    Task<bool> HoldsAsync(string assetId);

    /// <summary>Transfer step: takes the amount (or the unique asset) out, once per <paramref name="stepId"/>.
    /// Fails, changing nothing, when funds are insufficient or the asset is not held. A repeated id returns the
    /// first outcome.</summary>
    [SiloOnly]
    Task<WalletStepOutcome> DebitAsync(string stepId, string assetId, bool unique, long amount);

    /// <summary>Transfer step: puts the amount (or the unique asset) in, once per <paramref name="stepId"/>.</summary>
    [SiloOnly]
    Task<WalletStepOutcome> CreditAsync(string stepId, string assetId, bool unique, long amount);
}
