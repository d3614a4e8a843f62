using Imv.Grains.Interfaces.Assets;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Assets;

/// <summary>The transfer steps over the asset, wallet and ledger grains.</summary>
internal sealed class GrainTransferSteps(IGrainFactory factory) : ITransferSteps
{
    public async Task<AssetKind?> GetAssetKindAsync(string assetId) =>
        (await factory.GetGrain<IAssetGrain>(assetId).GetInfoAsync())?.Kind;

    public Task<WalletStepOutcome> DebitAsync(string walletId, string transferId, string assetId, bool unique, long amount) =>
        factory.GetGrain<IWalletGrain>(walletId).DebitAsync(transferId, assetId, unique, amount);

    public Task<WalletStepOutcome> CreditAsync(string walletId, string transferId, string assetId, bool unique, long amount) =>
        factory.GetGrain<IWalletGrain>(walletId).CreditAsync(transferId, assetId, unique, amount);

    public Task SetOwnerAsync(string assetId, long ledgerIndex, string newOwner) =>
        factory.GetGrain<IAssetGrain>(assetId).SetOwnerAsync(ledgerIndex, newOwner);

    public async Task<long> AppendLedgerAsync(LedgerRecord record) =>
        (await factory.GetGrain<ILedgerGrain>(LedgerNames.Main).AppendAsync(record)).Index;
}
