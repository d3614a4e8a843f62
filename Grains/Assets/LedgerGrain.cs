using Imv.Grains.Interfaces.Assets;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Assets;

/// <summary>The hash-chained ledger, segmented. The entries live in segment grains of
/// <see cref="LedgerSegments.Capacity"/> entries (<see cref="ILedgerSegmentGrain"/>); this grain keeps only the
/// tip (count and last hash, state "ledger-head") and orders the appends. An append claims its id
/// (<see cref="ILedgerEntryIndexGrain"/>), writes the tail segment, then the tip, then acknowledges: three
/// bounded writes, whatever the ledger's length. After a crash between the segment and the tip, the
/// activation rolls the tip forward over an intact extension of the chain. <see cref="VerifyAsync"/> walks the
/// segments in order and names the first edited, removed or reordered entry. A ledger stored by the earlier
/// single-state design (state "ledger") is moved into segments on its first activation.</summary>
public sealed class LedgerGrain : Grain, ILedgerGrain
{
    private const int VerifyReadAhead = 8;

    private readonly IPersistentState<LedgerState> _legacy;
    private readonly IPersistentState<LedgerHeadState> _head;

    /// <summary>Created by the runtime.</summary>
    public LedgerGrain(
        [PersistentState("ledger")] IPersistentState<LedgerState> legacy,
        [PersistentState("ledger-head")] IPersistentState<LedgerHeadState> head)
    {
        _legacy = legacy;
        _head = head;
    }

    private string Name => this.GetPrimaryKeyString();
    private LedgerHeadState H => _head.State;

    private ILedgerSegmentGrain Segment(long segment) => GrainFactory.GetGrain<ILedgerSegmentGrain>(LedgerSegments.SegmentKey(Name, segment));

    private ILedgerEntryIndexGrain IdIndex(string entryId) => GrainFactory.GetGrain<ILedgerEntryIndexGrain>(LedgerSegments.IndexKey(Name, entryId));

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_legacy.State.Entries.Count > 0) await MigrateAsync(cancellationToken);
        await ReconcileAsync(cancellationToken);
    }

    /// <summary>Moves a ledger of the single-state design into segments: segments and ids first, then the tip,
    /// then the old state is cleared (a crash before that repeats the move, which is idempotent).</summary>
    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var entries = _legacy.State.Entries;
        var book = new LedgerBook(_legacy.State, new LedgerHeadState { Count = H.Count, HeadHash = H.HeadHash });
        book.ReconcileHead();
        var verification = book.Verify();
        if (!verification.IsValid)
            throw new InvalidOperationException($"Ledger '{Name}' cannot be moved into segments: its stored chain does not verify ({verification.Problem}).");
        foreach (var e in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Segment(LedgerSegments.SegmentOf(e.Index)).PutAsync(e);
            await IdIndex(e.Record.EntryId).SetAsync(e.Index);
        }
        H.Count = entries.Count;
        H.HeadHash = entries[^1].Hash;
        await _head.WriteStateAsync(cancellationToken);
        await _legacy.ClearStateAsync(cancellationToken);
    }

    /// <summary>Rolls the tip forward over entries the tail segment holds beyond it, when they extend the chain
    /// intact (a crash between writing the segment and the tip). Anything else beyond the tip is left to be
    /// overwritten by the next append.</summary>
    private async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var tail = await Segment(LedgerSegments.SegmentOf(H.Count)).GetEntriesAsync();
        long count = H.Count;
        string hash = H.HeadHash;
        foreach (var e in tail)
        {
            if (e.Index < count) continue;
            if (e.Index != count || e.PreviousHash != hash || e.Hash != HashChain.ComputeHash(e.Index, e.Record, e.PreviousHash)) break;
            count++;
            hash = e.Hash;
        }
        if (count == H.Count) return;
        H.Count = count;
        H.HeadHash = hash;
        await _head.WriteStateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<LedgerEntry> AppendAsync(LedgerRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentException.ThrowIfNullOrWhiteSpace(record.EntryId);
        long index = H.Count;
        var id = IdIndex(record.EntryId);
        long held = await id.ClaimAsync(index, index);
        if (held != index)
        {
            if (await EntryAtAsync(held) is { } existing && existing.Record.EntryId == record.EntryId) return existing;
            await id.SetAsync(index);   // a claim whose append never completed: the id is free
        }
        var entry = HashChain.Link(index, record, H.HeadHash);
        await Segment(LedgerSegments.SegmentOf(index)).PutAsync(entry);
        var (count, hash) = (H.Count, H.HeadHash);
        H.Count = index + 1;
        H.HeadHash = entry.Hash;
        try { await _head.WriteStateAsync(); }
        catch
        {
            (H.Count, H.HeadHash) = (count, hash);
            throw;
        }
        return entry;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LedgerEntry>> AppendManyAsync(IReadOnlyList<LedgerRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
            ArgumentException.ThrowIfNullOrWhiteSpace(record.EntryId, nameof(records));
            if (!distinct.Add(record.EntryId)) throw new ArgumentException($"Entry id '{record.EntryId}' appears twice in one group.", nameof(records));
        }
        if (records.Count == 0) return [];
        long first = H.Count;
        // Claim every id for the index it would take; the ids are distinct grains, so the claims run together.
        var claims = new Task<long>[records.Count];
        for (int i = 0; i < records.Count; i++) claims[i] = IdIndex(records[i].EntryId).ClaimAsync(first + i, first);
        var held = await Task.WhenAll(claims);
        if (held.Where((index, i) => index != first + i).Any())
        {
            // An id appended before (a retried group): one at a time, each claim checked against the ledger.
            var result = new List<LedgerEntry>(records.Count);
            foreach (var record in records) result.Add(await AppendAsync(record));
            return result;
        }
        var entries = new LedgerEntry[records.Count];
        string hash = H.HeadHash;
        for (int i = 0; i < records.Count; i++)
        {
            entries[i] = HashChain.Link(first + i, records[i], hash);
            hash = entries[i].Hash;
        }
        for (int start = 0; start < entries.Length;)
        {
            long segment = LedgerSegments.SegmentOf(entries[start].Index);
            int end = start;
            while (end < entries.Length && LedgerSegments.SegmentOf(entries[end].Index) == segment) end++;
            await Segment(segment).PutManyAsync(entries[start..end]);
            start = end;
        }
        var (count, headHash) = (H.Count, H.HeadHash);
        H.Count = first + entries.Length;
        H.HeadHash = hash;
        try { await _head.WriteStateAsync(); }
        catch
        {
            (H.Count, H.HeadHash) = (count, headHash);
            throw;
        }
        return entries;
    }

    private async Task<LedgerEntry?> EntryAtAsync(long index)
    {
        if (index < 0 || index >= H.Count) return null;
        var entries = await Segment(LedgerSegments.SegmentOf(index)).GetEntriesAsync();
        var offset = (int)(index % LedgerSegments.Capacity);
        return offset < entries.Count && entries[offset].Index == index ? entries[offset] : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<LedgerEntry>> GetEntriesAsync(long fromIndex, int maxCount)
    {
        long from = Math.Clamp(fromIndex, 0, H.Count);
        long end = from + Math.Clamp(maxCount, 0, H.Count - from);
        var result = new List<LedgerEntry>((int)(end - from));
        for (long segment = LedgerSegments.SegmentOf(from); from < end; segment++)
        {
            foreach (var e in await Segment(segment).GetEntriesAsync())
                if (e.Index >= from && e.Index < end) result.Add(e);
            from = (segment + 1) * LedgerSegments.Capacity;
        }
        return result;
    }

    /// <inheritdoc />
    public async Task<LedgerEntry?> FindAsync(string entryId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entryId);
        if (await IdIndex(entryId).GetAsync() is not { } index) return null;
        return await EntryAtAsync(index) is { } entry && entry.Record.EntryId == entryId ? entry : null;
    }

    /// <inheritdoc />
    public Task<LedgerHead> GetHeadAsync() => Task.FromResult(new LedgerHead(H.Count, H.HeadHash));

    /// <inheritdoc />
    public async Task<LedgerVerification> VerifyAsync()
    {
        var head = new LedgerHead(H.Count, H.HeadHash);
        var verifier = new ChainVerifier(head);
        long last = LedgerSegments.SegmentOf(head.Count);   // the tail segment: it may hold entries beyond the tip
        // A few segments read at once, fed to the verifier in order.
        for (long first = 0; first <= last; first += VerifyReadAhead)
        {
            var reads = new List<Task<IReadOnlyList<LedgerEntry>>>(VerifyReadAhead);
            for (long segment = first; segment <= last && segment < first + VerifyReadAhead; segment++) reads.Add(Segment(segment).GetEntriesAsync());
            foreach (var read in reads)
                foreach (var e in await read) verifier.Add(e);
        }
        return verifier.Result();
    }
}
