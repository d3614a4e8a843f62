using Imv.Grains.Interfaces.Assets;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Assets;

/// <summary>The persistent state of a transfer coordinator.</summary>
[GenerateSerializer]
public sealed class TransferState
{
    /// <summary>The request as first received (null before).</summary>
    [Id(0)] public TransferRequest? Request { get; set; }

    /// <summary>Where it is.</summary>
    [Id(1)] public TransferStatus Status { get; set; }

    /// <summary>Why it was rejected.</summary>
    [Id(2)] public string? Reason { get; set; }

    /// <summary>The ledger entry, when completed.</summary>
    [Id(3)] public long? LedgerIndex { get; set; }

    /// <summary>Whether the asset is unique (decided at start).</summary>
    [Id(4)] public bool Unique { get; set; }

    /// <summary>When it started (UTC): the ledger timestamp.</summary>
    [Id(5)] public DateTimeOffset StartedAt { get; set; }
}

/// <summary>The effects a transfer needs, one implementation over grains and one over plain objects in tests.
/// Every step must be idempotent for the same transfer id.</summary>
public interface ITransferSteps
{
    /// <summary>The asset's kind, or null when it is not registered.</summary>
    Task<AssetKind?> GetAssetKindAsync(string assetId);

    /// <summary>Debits the paying wallet.</summary>
    Task<WalletStepOutcome> DebitAsync(string walletId, string transferId, string assetId, bool unique, long amount);

    /// <summary>Credits the receiving wallet.</summary>
    Task<WalletStepOutcome> CreditAsync(string walletId, string transferId, string assetId, bool unique, long amount);

    /// <summary>Records a unique asset's new owner, ordered by ledger index.</summary>
    Task SetOwnerAsync(string assetId, long ledgerIndex, string newOwner);

    /// <summary>Appends to the ledger (idempotent on the entry id); returns the entry's index.</summary>
    Task<long> AppendLedgerAsync(LedgerRecord record);
}

/// <summary>The transfer state machine: Started -> Debited -> Recorded (in the ledger) -> Completed, or Rejected before anything
/// moved. Progress is persisted (by <c>persist</c>) before each next step, and steps are idempotent, so running it
/// again after an interruption at any point completes the same transfer exactly once.</summary>
public static class TransferProcess
{
    /// <summary>Runs or resumes the transfer. A finished transfer returns its receipt and does nothing.</summary>
    public static async Task<TransferReceipt> RunAsync(TransferState state, TransferRequest request, ITransferSteps steps, Func<Task> persist, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(steps);
        ArgumentNullException.ThrowIfNull(persist);
        if (state.Request is null)
        {
            ArgumentNullException.ThrowIfNull(request);
            state.Request = request;
            state.StartedAt = now;
            var problem = Validate(request);
            AssetKind? kind = problem is null ? await steps.GetAssetKindAsync(request.AssetId) : null;
            if (problem is null && kind is null) problem = $"Asset '{request.AssetId}' is not registered.";
            if (problem is not null)
            {
                state.Status = TransferStatus.Rejected;
                state.Reason = problem;
                await persist();
                return Receipt(state);
            }
            state.Unique = kind != AssetKind.DigitalCurrency;
            state.Status = TransferStatus.Started;
            await persist();
        }
        var r = state.Request;
        if (state.Status == TransferStatus.Started)
        {
            var debit = await steps.DebitAsync(r.FromWallet, StepId(r.TransferId), r.AssetId, state.Unique, r.Amount);
            if (!debit.Succeeded)
            {
                state.Status = TransferStatus.Rejected;
                state.Reason = debit.Reason;
                await persist();
                return Receipt(state);
            }
            state.Status = TransferStatus.Debited;
            await persist();
        }
        if (state.Status == TransferStatus.Debited)
        {
            // The debit took the asset out of the payer: from here the transfer is committed. It is recorded
            // before the credit so that the receiver cannot pass the asset on before this transfer is in the ledger.
            state.LedgerIndex = await steps.AppendLedgerAsync(new LedgerRecord(
                LedgerEntryId(r.TransferId), LedgerEntryKind.Transfer, r.AssetId, r.FromWallet, r.ToWallet, r.Amount, r.Memo, state.StartedAt));
            state.Status = TransferStatus.Recorded;
            await persist();
        }
        if (state.Status == TransferStatus.Recorded)
        {
            var credit = await steps.CreditAsync(r.ToWallet, StepId(r.TransferId), r.AssetId, state.Unique, r.Amount);
            if (!credit.Succeeded)
                throw new InvalidOperationException($"Transfer '{r.TransferId}' is recorded but the credit was refused: {credit.Reason}");
            if (state.Unique) await steps.SetOwnerAsync(r.AssetId, state.LedgerIndex!.Value, r.ToWallet);
            state.Status = TransferStatus.Completed;
            await persist();
        }
        return Receipt(state);
    }

    /// <summary>The receipt for the state so far, or null when nothing started.</summary>
    public static TransferReceipt? ReceiptOrNull(TransferState state) => state?.Request is null ? null : Receipt(state);

    private static TransferReceipt Receipt(TransferState s) => new(s.Request!, s.Status, s.Reason, s.LedgerIndex);

    /// <summary>The ledger entry id of a transfer.</summary>
    public static string LedgerEntryId(string transferId) => "transfer:" + transferId;

    /// <summary>The wallet step id of a transfer.</summary>
    public static string StepId(string transferId) => "transfer:" + transferId;

    private static string? Validate(TransferRequest r)
    {
        if (string.IsNullOrWhiteSpace(r.TransferId)) return "The transfer id is empty.";
        if (string.IsNullOrWhiteSpace(r.FromWallet) || string.IsNullOrWhiteSpace(r.ToWallet)) return "Both wallets must be named.";
        if (string.Equals(r.FromWallet, r.ToWallet, StringComparison.Ordinal)) return "A wallet cannot pay itself.";
        if (string.IsNullOrWhiteSpace(r.AssetId)) return "The asset is not named.";
        if (r.Amount <= 0) return "The amount must be positive.";
        return null;
    }
}
