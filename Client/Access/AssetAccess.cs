using Imv.Grains.Interfaces.Assets;

namespace Imv.Client.Access;

/// <summary>Assets, wallets and transfers (<see cref="IAssetGrain"/>, <see cref="IWalletGrain"/>, <see cref="ITransferGrain"/>).</summary>
public sealed class AssetAccess
{
    private readonly IGrainFactory _grains;

    internal AssetAccess(IGrainFactory grains) => _grains = grains;

    /// <summary>An asset's grain.</summary>
    public IAssetGrain Asset(string assetId) => _grains.GetGrain<IAssetGrain>(assetId);

    /// <summary>A wallet's grain.</summary>
    public IWalletGrain Wallet(string ownerId) => _grains.GetGrain<IWalletGrain>(ownerId);

    /// <summary>A transfer's grain.</summary>
    public ITransferGrain Transfer(string transferId) => _grains.GetGrain<ITransferGrain>(transferId);

    /// <summary>The asset; null when not registered.</summary>
    public Task<AssetInfo?> GetAsync(string assetId, CancellationToken cancellationToken = default) =>
        Asset(assetId).GetInfoAsync().WaitAsync(cancellationToken);

    /// <summary>What a wallet holds.</summary>
    public Task<WalletSnapshot> GetWalletAsync(string ownerId, CancellationToken cancellationToken = default) =>
        Wallet(ownerId).GetSnapshotAsync().WaitAsync(cancellationToken);

    /// <summary>Runs a transfer to its end (idempotent on its id).</summary>
    public Task<TransferReceipt> TransferAsync(TransferRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Transfer(request.TransferId).ExecuteAsync(request).WaitAsync(cancellationToken);
    }
}
