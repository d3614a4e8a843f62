using Orleans;

namespace Imv.Grains.Interfaces.Assets;

/// <summary>A request to move an asset, or an amount of a currency, between two wallets.</summary>
/// <param name="TransferId">Unique id chosen by the caller; repeating it does nothing (the first outcome is returned).</param>
/// <param name="FromWallet">The paying wallet (its owner identity).</param>
/// <param name="ToWallet">The receiving wallet.</param>
/// <param name="AssetId">The asset (for a currency, its code).</param>
/// <param name="Amount">Minor units of a currency; 1 for a unique asset.</param>
/// <param name="Memo">Free text recorded in the ledger.</param>
[GenerateSerializer]
public sealed record TransferRequest(
    [property: Id(0)] string TransferId,
    [property: Id(1)] string FromWallet,
    [property: Id(2)] string ToWallet,
    [property: Id(3)] string AssetId,
    [property: Id(4)] long Amount,
    [property: Id(5)] string? Memo = null);

/// <summary>Where a transfer is.</summary>
public enum TransferStatus : byte
{
    /// <summary>Not started (no such transfer).</summary>
    None = 0,
    /// <summary>Accepted and persisted; the debit is next.</summary>
    Started = 1,
    /// <summary>The paying wallet was debited; the ledger entry is next.</summary>
    Debited = 2,
    /// <summary>The transfer is in the ledger (it is committed); the credit is next.</summary>
    Recorded = 3,
    /// <summary>Done and in the ledger.</summary>
    Completed = 4,
    /// <summary>Refused before anything moved (see the reason).</summary>
    Rejected = 5,
}

/// <summary>The outcome of a transfer.</summary>
/// <param name="Request">The transfer as first requested.</param>
/// <param name="Status">Completed or Rejected (or an in-progress status when a step failed and will be retried).</param>
/// <param name="Reason">Why it was rejected.</param>
/// <param name="LedgerIndex">The ledger entry recording it, when completed.</param>
[GenerateSerializer]
public sealed record TransferReceipt(
    [property: Id(0)] TransferRequest Request,
    [property: Id(1)] TransferStatus Status,
    [property: Id(2)] string? Reason = null,
    [property: Id(3)] long? LedgerIndex = null);

/// <summary>What one wallet step did.</summary>
/// <param name="Succeeded">Whether the step took effect (now or the first time it was asked).</param>
/// <param name="Reason">Why it did not.</param>
[GenerateSerializer]
public sealed record WalletStepOutcome(
    [property: Id(0)] bool Succeeded,
    [property: Id(1)] string? Reason = null);

/// <summary>A wallet's holdings.</summary>
/// <param name="Owner">The owner identity (the wallet's key).</param>
/// <param name="Balances">Currency code to balance in minor units (only non-zero balances).</param>
/// <param name="Items">The unique assets held, by id, in order.</param>
[GenerateSerializer]
public sealed record WalletSnapshot(
    [property: Id(0)] string Owner,
    [property: Id(1)] IReadOnlyDictionary<string, long> Balances,
    [property: Id(2)] IReadOnlyList<string> Items);
