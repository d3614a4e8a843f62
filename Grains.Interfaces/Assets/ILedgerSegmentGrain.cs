using Imv.Grains.Interfaces.Access;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Assets;

/// <summary>One segment of a ledger: a fixed number of consecutive entries (segment n holds the entries from
/// n x capacity). The ledger grain (<see cref="ILedgerGrain"/>) is the only writer; it keeps only the tip
/// (count and last hash), so an append writes one bounded segment and the tip, whatever the ledger's length.
/// Key: <c>{ledger}/segment/{n}</c>.</summary>
[SiloOnly]
public interface ILedgerSegmentGrain : IGrainWithStringKey
{
    /// <summary>Places an entry at its index, which must be the segment's next index or an index already in
    /// it; entries from that index on are dropped first (leftovers of an append the ledger never acknowledged).
    /// Throws <see cref="ArgumentException"/> for an index outside the segment or one that leaves a gap.</summary>
    Task PutAsync(LedgerEntry entry);

    /// <summary>Places consecutive entries from the first one's index, with one write, under the rule of
    /// <see cref="PutAsync"/> for the first; every entry must belong in this segment.</summary>
    Task PutManyAsync(IReadOnlyList<LedgerEntry> entries);

    /// <summary>The segment's entries as stored, in order.</summary>
    [ReadOnly]
    Task<IReadOnlyList<LedgerEntry>> GetEntriesAsync();
}

/// <summary>Where an entry id sits in a ledger: the ledger's index of entry ids, one small grain per id, so that
/// appends stay idempotent on their id without the ledger keeping every id. The grain deactivates after each
/// write (claim, set). Key: <c>{ledger}/id/{entry id}</c>.</summary>
[SiloOnly]
public interface ILedgerEntryIndexGrain : IGrainWithStringKey
{
    /// <summary>Claims the id for <paramref name="proposedIndex"/> unless it holds an index below
    /// <paramref name="acknowledgedCount"/> (an entry the ledger acknowledged, or at least once did); returns the
    /// index the id holds afterwards. The ledger checks that the entry at a returned older index carries this id.</summary>
    Task<long> ClaimAsync(long proposedIndex, long acknowledgedCount);

    /// <summary>Sets the index (replacing a stale claim).</summary>
    Task SetAsync(long index);

    /// <summary>The index, or null when the id was never claimed.</summary>
    [ReadOnly]
    Task<long?> GetAsync();
}
