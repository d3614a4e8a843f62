using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Imv.Grains.Interfaces.Assets;

namespace Imv.Grains.Assets;

/// <summary>The ledger's hash chain: each entry's hash is SHA-256 over the previous hash and a canonical
/// binary encoding of the entry (index, then every record field, length-prefixed), so an edit of any field,
/// a removal or a reorder breaks the chain at a position <see cref="Verify"/> names.</summary>
public static class HashChain
{
    /// <summary>The "previous hash" of the first entry.</summary>
    public static readonly string Genesis = new('0', 64);

    /// <summary>Builds the entry that follows <paramref name="previousHash"/> at <paramref name="index"/>.</summary>
    public static LedgerEntry Link(long index, LedgerRecord record, string previousHash) =>
        new(index, record, previousHash, ComputeHash(index, record, previousHash));

    /// <summary>SHA-256 over previous hash, index and record, lower-case hex.</summary>
    public static string ComputeHash(long index, LedgerRecord record, string previousHash)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(previousHash);
        using var buffer = new MemoryStream(256);
        WriteString(buffer, previousHash);
        WriteInt64(buffer, index);
        WriteString(buffer, record.EntryId);
        buffer.WriteByte((byte)record.Kind);
        WriteString(buffer, record.AssetId);
        WriteString(buffer, record.From);
        WriteString(buffer, record.To);
        WriteInt64(buffer, record.Amount);
        WriteString(buffer, record.Memo);
        WriteInt64(buffer, record.Timestamp.UtcTicks);
        return Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    /// <summary>Verifies a chain against its separately kept head (null: no head to compare with). Reports the
    /// first problem: an entry out of place (removed or reordered), a broken link, an edited entry, or a
    /// removed tail.</summary>
    public static LedgerVerification Verify(IReadOnlyList<LedgerEntry> entries, LedgerHead? head)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var verifier = new ChainVerifier(head);
        for (var i = 0; i < entries.Count; i++) verifier.Add(entries[i]);
        return verifier.Result();
    }

    private static void WriteInt64(Stream s, long value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, value);
        s.Write(b);
    }

    private static void WriteString(Stream s, string? value)
    {
        if (value is null) { WriteInt64(s, -1); return; }
        var bytes = Encoding.UTF8.GetBytes(value);
        WriteInt64(s, bytes.Length);
        s.Write(bytes);
    }
}

/// <summary>Verifies a chain fed one entry at a time, in order (a segmented ledger feeds it segment by segment,
/// so no list of every entry is needed). Reports the first problem: an entry out of place (removed or
/// reordered), a broken link, an edited entry, or, against the head, a removed or unacknowledged tail.</summary>
public sealed class ChainVerifier
{
    private readonly LedgerHead? _head;
    private string _previous = HashChain.Genesis;
    private long _count;
    private LedgerVerification? _problem;
    private string? _hashAtHead;
    private string? _idAtHead;
    private string? _firstBeyondHead;

    /// <summary>Starts a verification against <paramref name="head"/> (null: no head to compare with).</summary>
    public ChainVerifier(LedgerHead? head) => _head = head;

    /// <summary>Entries fed so far.</summary>
    public long Count => _count;

    /// <summary>Whether a problem was found (further entries are only counted).</summary>
    public bool Failed => _problem is not null;

    /// <summary>Feeds the entry at the next position.</summary>
    public void Add(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        long i = _count++;
        if (_problem is not null) return;
        var id = entry.Record.EntryId;
        if (entry.Index != i)
        {
            var what = entry.Index > i
                ? $"entry {i} is missing (removed): entry {entry.Index} ('{id}') is in its place"
                : $"entry {entry.Index} ('{id}') appears at position {i} (reordered or duplicated)";
            _problem = new LedgerVerification(false, 0, i, id, what);
            return;
        }
        if (!string.Equals(entry.PreviousHash, _previous, StringComparison.Ordinal))
        {
            _problem = new LedgerVerification(false, 0, i, id, $"entry {i} ('{id}') does not link to the entry before it (an entry was removed, replaced or reordered)");
            return;
        }
        var hash = HashChain.ComputeHash(entry.Index, entry.Record, entry.PreviousHash);
        if (!string.Equals(entry.Hash, hash, StringComparison.Ordinal))
        {
            _problem = new LedgerVerification(false, 0, i, id, $"entry {i} ('{id}') was edited: its hash does not match its content");
            return;
        }
        _previous = entry.Hash;
        if (_head is not null && i == _head.Count - 1) (_hashAtHead, _idAtHead) = (entry.Hash, id);
        if (_head is not null && i == _head.Count) _firstBeyondHead = id;
    }

    /// <summary>The outcome over every entry fed.</summary>
    public LedgerVerification Result()
    {
        if (_problem is not null) return _problem with { Count = _count };
        if (_head is { } head)
        {
            if (head.Count > _count)
                return new LedgerVerification(false, _count, _count, null,
                    $"entries {_count} to {head.Count - 1} were removed: the head records {head.Count} entries");
            if (head.Count > 0 && !string.Equals(_hashAtHead, head.HeadHash, StringComparison.Ordinal))
                return new LedgerVerification(false, _count, head.Count - 1, _idAtHead,
                    $"entry {head.Count - 1} does not match the head hash (the chain was rewritten)");
            if (head.Count < _count)
                return new LedgerVerification(false, _count, head.Count, _firstBeyondHead,
                    $"entries from {head.Count} are not covered by the head (appended outside the ledger)");
        }
        return new LedgerVerification(true, _count);
    }
}
