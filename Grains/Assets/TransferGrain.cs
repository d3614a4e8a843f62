using Imv.Grains.Interfaces.Assets;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Assets;

/// <summary>The coordinator of one transfer (see <see cref="TransferProcess"/>). An unfinished transfer
/// resumes when the grain activates again.</summary>
public sealed class TransferGrain : Grain, ITransferGrain
{
    private readonly IPersistentState<TransferState> _state;

    /// <summary>Created by the runtime.</summary>
    public TransferGrain([PersistentState("transfer")] IPersistentState<TransferState> state)
    {
        _state = state;
    }

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var s = _state.State;
        if (s.Request is not null && s.Status is TransferStatus.Started or TransferStatus.Debited or TransferStatus.Recorded)
            await RunAsync(s.Request);
    }

    /// <inheritdoc />
    public Task<TransferReceipt> ExecuteAsync(TransferRequest transfer)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        if (_state.State.Request is null && transfer.TransferId != this.GetPrimaryKeyString())
            throw new ArgumentException($"Transfer '{transfer.TransferId}' sent to coordinator '{this.GetPrimaryKeyString()}'.", nameof(transfer));
        return RunAsync(transfer);
    }

    /// <inheritdoc />
    public Task<TransferReceipt?> GetReceiptAsync() => Task.FromResult(TransferProcess.ReceiptOrNull(_state.State));

    private Task<TransferReceipt> RunAsync(TransferRequest request) =>
        TransferProcess.RunAsync(_state.State, request, new GrainTransferSteps(GrainFactory), () => _state.WriteStateAsync(), DateTimeOffset.UtcNow);
}
