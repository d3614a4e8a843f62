using Imv.Grains.Interfaces.Assets;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Assets;

/// <summary>Names and sizes of a segmented ledger's grains.</summary>
public static class LedgerSegments
{
    /// <summary>Entries per segment: an append rewrites at most this many entries (a few kilobytes), however
    /// long the ledger; a verification makes one call per segment.</summary>
    public const int Capacity = 64;

    /// <summary>The segment holding entry <paramref name="index"/>.</summary>
    public static long SegmentOf(long index) => index / Capacity;

    /// <summary>The key of segment <paramref name="segment"/> of ledger <paramref name="ledger"/>.</summary>
    public static string SegmentKey(string ledger, long segment) =>
        ledger + "/segment/" + segment.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The key of the index grain of entry id <paramref name="entryId"/> in ledger <paramref name="ledger"/>.</summary>
    public static string IndexKey(string ledger, string entryId) => ledger + "/id/" + entryId;

    /// <summary>The segment number in a segment key (the text after the last '/').</summary>
    internal static long ParseSegment(string key) =>
        long.Parse(key.AsSpan(key.LastIndexOf('/') + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The stored entries of one ledger segment.</summary>
[GenerateSerializer]
public sealed class LedgerSegmentState
{
    /// <summary>The entries, in index order, from the segment's first index.</summary>
    [Id(0)] public List<LedgerEntry> Entries { get; set; } = [];
}

/// <summary>One segment of a ledger (<see cref="ILedgerSegmentGrain"/>).</summary>
public sealed class LedgerSegmentGrain : Grain, ILedgerSegmentGrain
{
    private readonly IPersistentState<LedgerSegmentState> _state;

    /// <summary>Created by the runtime.</summary>
    public LedgerSegmentGrain([PersistentState("ledger-segment")] IPersistentState<LedgerSegmentState> state) => _state = state;

    private long FirstIndex => LedgerSegments.ParseSegment(this.GetPrimaryKeyString()) * LedgerSegments.Capacity;

    /// <inheritdoc />
    public async Task PutAsync(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var entries = _state.State.Entries;
        long offset = entry.Index - FirstIndex;
        if (offset < 0 || offset >= LedgerSegments.Capacity)
            throw new ArgumentException($"Entry {entry.Index} does not belong in ledger segment '{this.GetPrimaryKeyString()}' (entries {FirstIndex} to {FirstIndex + LedgerSegments.Capacity - 1}).", nameof(entry));
        if (offset > entries.Count)
            throw new ArgumentException($"Entry {entry.Index} would leave a gap in ledger segment '{this.GetPrimaryKeyString()}', which ends before entry {FirstIndex + entries.Count}.", nameof(entry));
        if (offset < entries.Count && entries[(int)offset] == entry && offset == entries.Count - 1) return;
        if (offset < entries.Count) entries.RemoveRange((int)offset, entries.Count - (int)offset);
        entries.Add(entry);
        await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public async Task PutManyAsync(IReadOnlyList<LedgerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0) return;
        var stored = _state.State.Entries;
        long offset = entries[0].Index - FirstIndex;
        long last = entries[^1].Index - FirstIndex;
        if (offset < 0 || last >= LedgerSegments.Capacity || last - offset != entries.Count - 1)
            throw new ArgumentException($"Entries {entries[0].Index} to {entries[^1].Index} are not {entries.Count} consecutive entries of ledger segment '{this.GetPrimaryKeyString()}' (entries {FirstIndex} to {FirstIndex + LedgerSegments.Capacity - 1}).", nameof(entries));
        for (int i = 1; i < entries.Count; i++)
        {
            if (entries[i].Index != entries[i - 1].Index + 1)
                throw new ArgumentException($"Entry {entries[i].Index} does not follow entry {entries[i - 1].Index}.", nameof(entries));
        }
        if (offset > stored.Count)
            throw new ArgumentException($"Entry {entries[0].Index} would leave a gap in ledger segment '{this.GetPrimaryKeyString()}', which ends before entry {FirstIndex + stored.Count}.", nameof(entries));
        if (offset < stored.Count) stored.RemoveRange((int)offset, stored.Count - (int)offset);
        stored.AddRange(entries);
        await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LedgerEntry>> GetEntriesAsync() => Task.FromResult<IReadOnlyList<LedgerEntry>>([.. _state.State.Entries]);
}

/// <summary>The stored index of one entry id.</summary>
[GenerateSerializer]
public sealed class LedgerEntryIndexState
{
    /// <summary>The claimed index; -1 when none.</summary>
    [Id(0)] public long Index { get; set; } = -1;
}

/// <summary>Where one entry id sits in a ledger (<see cref="ILedgerEntryIndexGrain"/>). Deactivates after
/// every write: there is one per entry ever appended, and each is needed once or twice (reads leave it to idle collection).</summary>
public sealed class LedgerEntryIndexGrain : Grain, ILedgerEntryIndexGrain
{
    private readonly IPersistentState<LedgerEntryIndexState> _state;

    /// <summary>Created by the runtime.</summary>
    public LedgerEntryIndexGrain([PersistentState("ledger-id")] IPersistentState<LedgerEntryIndexState> state) => _state = state;

    /// <inheritdoc />
    public async Task<long> ClaimAsync(long proposedIndex, long acknowledgedCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(proposedIndex);
        DeactivateOnIdle();
        var held = _state.State.Index;
        if (held >= 0 && held < acknowledgedCount) return held;
        if (held != proposedIndex)
        {
            _state.State.Index = proposedIndex;
            await _state.WriteStateAsync();
        }
        return proposedIndex;
    }

    /// <inheritdoc />
    public async Task SetAsync(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        DeactivateOnIdle();
        if (_state.State.Index == index) return;
        _state.State.Index = index;
        await _state.WriteStateAsync();
    }

    /// <inheritdoc />
    public Task<long?> GetAsync()
    {
        // No DeactivateOnIdle here: reads of one id run interleaved ([ReadOnly]), and the ones queued behind a
        // deactivating activation are forwarded from activation to activation until Orleans rejects them.
        return Task.FromResult<long?>(_state.State.Index < 0 ? null : _state.State.Index);
    }
}
