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
        var previous = Genesis;
        for (var i = 0; i < entries.Count; i++)
        {
            var e = entries[i];
            var id = e.Record.EntryId;
            if (e.Index != i)
            {
                var what = e.Index > i
                    ? $"entry {i} is missing (removed): entry {e.Index} ('{id}') is in its place"
                    : $"entry {e.Index} ('{id}') appears at position {i} (reordered or duplicated)";
                return new LedgerVerification(false, entries.Count, i, id, what);
            }
            if (!string.Equals(e.PreviousHash, previous, StringComparison.Ordinal))
                return new LedgerVerification(false, entries.Count, i, id,
                    $"entry {i} ('{id}') does not link to the entry before it (an entry was removed, replaced or reordered)");
            var hash = ComputeHash(e.Index, e.Record, e.PreviousHash);
            if (!string.Equals(e.Hash, hash, StringComparison.Ordinal))
                return new LedgerVerification(false, entries.Count, i, id, $"entry {i} ('{id}') was edited: its hash does not match its content");
            previous = e.Hash;
        }
        if (head is not null)
        {
            if (head.Count > entries.Count)
                return new LedgerVerification(false, entries.Count, entries.Count, null,
                    $"entries {entries.Count} to {head.Count - 1} were removed: the head records {head.Count} entries");
            if (head.Count > 0 && !string.Equals(entries[(int)head.Count - 1].Hash, head.HeadHash, StringComparison.Ordinal))
                return new LedgerVerification(false, entries.Count, head.Count - 1, entries[(int)head.Count - 1].Record.EntryId,
                    $"entry {head.Count - 1} does not match the head hash (the chain was rewritten)");
            if (head.Count < entries.Count)
                return new LedgerVerification(false, entries.Count, head.Count, entries[(int)head.Count].Record.EntryId,
                    $"entries from {head.Count} are not covered by the head (appended outside the ledger)");
        }
        return new LedgerVerification(true, entries.Count);
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
