using Imv.Grains.Interfaces.Access;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Assets;

/// <summary>The coordinator of one transfer between two wallets. Key: the transfer id. It persists its
/// progress (Started, Debited, Recorded, Completed) before each step, and each step is idempotent, so a
/// transfer interrupted at any point finishes exactly once when it is executed again or the grain
/// reactivates: nothing is lost or duplicated, without distributed transactions. The ledger entry is
/// appended after the debit and before the credit, so the ledger's order of transfers of one unique asset
/// follows the order in which they really happened.</summary>
public interface ITransferGrain : IGrainWithStringKey
{
    /// <summary>Runs the transfer to its end (Completed or Rejected). A repeated call, with the same or any
    /// other request, returns the first outcome and moves nothing.</summary>
    [ClientRight(Right.Assets)]
    Task<TransferReceipt> ExecuteAsync(TransferRequest transfer);

    /// <summary>The transfer's receipt so far, or null when it never started.</summary>
    [ClientRight(Right.Read)]
    [ReadOnly]
    Task<TransferReceipt?> GetReceiptAsync();
}
