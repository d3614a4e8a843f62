using Orleans;

namespace Imv.Grains.Interfaces.Assets;

/// <summary>What a ledger entry records.</summary>
public enum LedgerEntryKind : byte
{
    /// <summary>An asset was registered.</summary>
    AssetRegistered = 0,
    /// <summary>An amount of a currency was minted.</summary>
    CurrencyMinted = 1,
    /// <summary>An asset or amount moved between wallets.</summary>
    Transfer = 2,
    /// <summary>An entry of the audit log (a ledger of its own): who did what, when, from where, with what outcome.</summary>
    Audit = 3,
}

/// <summary>An entry to append (the ledger adds index and hashes).</summary>
/// <param name="EntryId">Unique id (the transfer, mint or registration id); appending it again returns the existing entry.</param>
/// <param name="Kind">What it records.</param>
/// <param name="AssetId">The asset.</param>
/// <param name="From">The paying wallet, if any.</param>
/// <param name="To">The receiving wallet or owner, if any.</param>
/// <param name="Amount">Minor units, or 1 for a unique asset.</param>
/// <param name="Memo">Free text.</param>
/// <param name="Timestamp">When it happened (UTC).</param>
[GenerateSerializer]
public sealed record LedgerRecord(
    [property: Id(0)] string EntryId,
    [property: Id(1)] LedgerEntryKind Kind,
    [property: Id(2)] string AssetId,
    [property: Id(3)] string? From,
    [property: Id(4)] string? To,
    [property: Id(5)] long Amount,
    [property: Id(6)] string? Memo,
    [property: Id(7)] DateTimeOffset Timestamp);

/// <summary>An entry of the hash-chained ledger: <c>Hash = SHA-256(PreviousHash, Index, Record)</c>.</summary>
/// <param name="Index">Its position, from 0.</param>
/// <param name="Record">What it records.</param>
/// <param name="PreviousHash">The previous entry's hash (64 zeros for the first), lower-case hex.</param>
/// <param name="Hash">This entry's hash, lower-case hex.</param>
[GenerateSerializer]
public sealed record LedgerEntry(
    [property: Id(0)] long Index,
    [property: Id(1)] LedgerRecord Record,
    [property: Id(2)] string PreviousHash,
    [property: Id(3)] string Hash);

/// <summary>The ledger's head: how many entries, and the last hash. Keep a copy elsewhere to anchor audits.</summary>
/// <param name="Count">Number of entries.</param>
/// <param name="HeadHash">The last entry's hash (64 zeros when empty).</param>
[GenerateSerializer]
public sealed record LedgerHead(
    [property: Id(0)] long Count,
    [property: Id(1)] string HeadHash);

/// <summary>The result of verifying the chain.</summary>
/// <param name="IsValid">Whether every entry and the head check out.</param>
/// <param name="Count">Entries checked.</param>
/// <param name="BadIndex">The position of the first bad entry.</param>
/// <param name="BadEntryId">The id of the entry found at that position (or, for a removed tail, null).</param>
/// <param name="Problem">What is wrong, in words.</param>
[GenerateSerializer]
public sealed record LedgerVerification(
    [property: Id(0)] bool IsValid,
    [property: Id(1)] long Count,
    [property: Id(2)] long? BadIndex = null,
    [property: Id(3)] string? BadEntryId = null,
    [property: Id(4)] string? Problem = null);
