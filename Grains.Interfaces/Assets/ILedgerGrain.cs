using Imv.Grains.Interfaces.Access;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Assets;

/// <summary>The tamper-evident, append-only ledger of asset registrations, mints and transfers. Key: the
/// ledger's name (<see cref="LedgerNames.Main"/> by default). An append is persisted before it is acknowledged.</summary>
public interface ILedgerGrain : IGrainWithStringKey
{
    /// <summary>Appends a record, or returns the existing entry when its id was appended before.</summary>
    [SiloOnly]
    Task<LedgerEntry> AppendAsync(LedgerRecord record);

    /// <summary>Appends records in their order as one group: the entries are chained and persisted together
    /// (one write per segment touched and one of the tip) before the call returns, so a busy writer pays the
    /// writes once per group instead of once per record. Records whose id was appended before are not appended
    /// again; their existing entries are returned in their place.</summary>
    [SiloOnly]
    Task<IReadOnlyList<LedgerEntry>> AppendManyAsync(IReadOnlyList<LedgerRecord> records);

    /// <summary>Up to <paramref name="maxCount"/> entries from <paramref name="fromIndex"/>.</summary>
    [ClientRight(Right.Ledger)]
    [ReadOnly]
    Task<IReadOnlyList<LedgerEntry>> GetEntriesAsync(long fromIndex, int maxCount);

    /// <summary>The entry with this id, or null.</summary>
    [ClientRight(Right.Ledger)]
    [ReadOnly]
    Task<LedgerEntry?> FindAsync(string entryId);

    /// <summary>The head (count and last hash).</summary>
    [ClientRight(Right.Ledger)]
    [ReadOnly]
    Task<LedgerHead> GetHeadAsync();

    /// <summary>Recomputes the chain from the stored entries and compares it with the separately stored
    /// head; names the first edited, removed or reordered entry.</summary>
    [ClientRight(Right.Ledger)]
    [ReadOnly]
    Task<LedgerVerification> VerifyAsync();
}

/// <summary>Well-known ledger keys.</summary>
public static class LedgerNames
{
    /// <summary>The ledger the asset, wallet and transfer grains append to.</summary>
    public const string Main = "main";

    /// <summary>The audit log of the API (who changed what, and every refused request), hash-chained like the main ledger.</summary>
    public const string Audit = "audit";
}
