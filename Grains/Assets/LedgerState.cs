using Imv.Grains.Interfaces.Assets;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Assets;

/// <summary>A whole ledger in one state: the in-memory form <see cref="LedgerBook"/> works on, and the stored form of
/// the earlier single-state ledger grain (state "ledger"), which <see cref="LedgerGrain"/> moves into segments.</summary>
[GenerateSerializer]
public sealed class LedgerState
{
    /// <summary>The entries, in order.</summary>
    [Id(0)] public List<LedgerEntry> Entries { get; set; } = [];
}

/// <summary>The ledger's tip, stored apart from the entries (persistent state "ledger-head") so that a
/// removed tail is detected.</summary>
[GenerateSerializer]
public sealed class LedgerHeadState
{
    /// <summary>Number of entries acknowledged.</summary>
    [Id(0)] public long Count { get; set; }

    /// <summary>The last acknowledged entry's hash.</summary>
    [Id(1)] public string HeadHash { get; set; } = HashChain.Genesis;
}

/// <summary>The ledger logic over its state: append with id idempotency, look-ups, verification.</summary>
public sealed class LedgerBook
{
    private readonly LedgerState _state;
    private readonly LedgerHeadState _head;
    private readonly Dictionary<string, int> _byId = new(StringComparer.Ordinal);

    /// <summary>Wraps the two states and indexes entries by id.</summary>
    public LedgerBook(LedgerState state, LedgerHeadState head)
    {
        _state = state ?? throw new ArgumentNullException(nameof(state));
        _head = head ?? throw new ArgumentNullException(nameof(head));
        for (var i = 0; i < _state.Entries.Count; i++) _byId.TryAdd(_state.Entries[i].Record.EntryId, i);
    }

    /// <summary>The entries.</summary>
    public IReadOnlyList<LedgerEntry> Entries => _state.Entries;

    /// <summary>Appends (true) or finds the entry with the same id (false).</summary>
    public (LedgerEntry Entry, bool Appended) Append(LedgerRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentException.ThrowIfNullOrWhiteSpace(record.EntryId);
        if (_byId.TryGetValue(record.EntryId, out var existing)) return (_state.Entries[existing], false);
        var entries = _state.Entries;
        var previous = entries.Count == 0 ? HashChain.Genesis : entries[^1].Hash;
        var entry = HashChain.Link(entries.Count, record, previous);
        entries.Add(entry);
        _byId.Add(record.EntryId, entries.Count - 1);
        _head.Count = entries.Count;
        _head.HeadHash = entry.Hash;
        return (entry, true);
    }

    /// <summary>The entry with this id, or null.</summary>
    public LedgerEntry? Find(string entryId) => _byId.TryGetValue(entryId, out var i) ? _state.Entries[i] : null;

    /// <summary>The head.</summary>
    public LedgerHead Head => new(_head.Count, _head.HeadHash);

    /// <summary>Verifies the chain against the head.</summary>
    public LedgerVerification Verify() => HashChain.Verify(_state.Entries, Head);

    /// <summary>After a crash between writing the entries and the head, the entries may be one append ahead
    /// of the head (never behind: entries are written first). If the chain is intact and extends the head,
    /// the head is rolled forward; true when it changed.</summary>
    public bool ReconcileHead()
    {
        var entries = _state.Entries;
        if (entries.Count <= _head.Count) return false;
        if (!HashChain.Verify(entries, null).IsValid) return false;
        var anchored = _head.Count == 0 ? HashChain.Genesis : entries[(int)_head.Count - 1].Hash;
        if (anchored != _head.HeadHash) return false;
        _head.Count = entries.Count;
        _head.HeadHash = entries[^1].Hash;
        return true;
    }
}
