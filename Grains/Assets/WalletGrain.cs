using Imv.Grains.Interfaces.Assets;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Assets;

/// <summary>An identity's wallet. Every step that changes it is written before it is acknowledged.</summary>
public sealed class WalletGrain : Grain, IWalletGrain
{
    private readonly IPersistentState<WalletState> _state;
    private WalletBook _book = null!;

    /// <summary>Created by the runtime.</summary>
    public WalletGrain([PersistentState("wallet")] IPersistentState<WalletState> state)
    {
        _state = state;
    }

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _book = new WalletBook(_state.State);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<WalletSnapshot> GetSnapshotAsync() => Task.FromResult(_book.Snapshot(this.GetPrimaryKeyString()));

    /// <inheritdoc />
    public Task<long> GetBalanceAsync(string currency) => Task.FromResult(_book.Balance(currency));

    /// <inheritdoc />
    public Task<bool> HoldsAsync(string assetId) => Task.FromResult(_book.Holds(assetId));

    /// <inheritdoc />
    public async Task<WalletStepOutcome> DebitAsync(string stepId, string assetId, bool unique, long amount)
    {
        var (outcome, changed) = _book.Debit(stepId, assetId, unique, amount);
        if (changed) await _state.WriteStateAsync();
        return outcome;
    }

    /// <inheritdoc />
    public async Task<WalletStepOutcome> CreditAsync(string stepId, string assetId, bool unique, long amount)
    {
        var (outcome, changed) = _book.Credit(stepId, assetId, unique, amount);
        if (changed) await _state.WriteStateAsync();
        return outcome;
    }
}
