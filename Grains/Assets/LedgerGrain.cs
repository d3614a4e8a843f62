using Imv.Grains.Interfaces.Assets;
using Imv.Runtime;

namespace Imv.Grains.Assets;

/// <summary>The hash-chained ledger. Entries and head are two persistent states; an append writes the
/// entries, then the head, then acknowledges. All appends go through this one grain, which orders them;
/// at very high rates it would be split per asset class or segmented (see docs/organizations.md).</summary>
public sealed class LedgerGrain : Grain, ILedgerGrain
{
    private readonly IPersistentState<LedgerState> _entries;
    private readonly IPersistentState<LedgerHeadState> _head;
    private LedgerBook _book = null!;

    /// <summary>Created by the runtime.</summary>
    public LedgerGrain(
        [PersistentState("ledger")] IPersistentState<LedgerState> entries,
        [PersistentState("ledger-head")] IPersistentState<LedgerHeadState> head)
    {
        _entries = entries;
        _head = head;
    }

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _book = new LedgerBook(_entries.State, _head.State);
        if (_book.ReconcileHead()) await _head.WriteStateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<LedgerEntry> AppendAsync(LedgerRecord record)
    {
        var (entry, appended) = _book.Append(record);
        if (appended)
        {
            await _entries.WriteStateAsync();
            await _head.WriteStateAsync();
        }
        return entry;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<LedgerEntry>> GetEntriesAsync(long fromIndex, int maxCount)
    {
        var all = _book.Entries;
        var from = (int)Math.Clamp(fromIndex, 0, all.Count);
        var count = Math.Clamp(maxCount, 0, all.Count - from);
        return Task.FromResult<IReadOnlyList<LedgerEntry>>(all.Skip(from).Take(count).ToList());
    }

    /// <inheritdoc />
    public Task<LedgerEntry?> FindAsync(string entryId) => Task.FromResult(_book.Find(entryId));

    /// <inheritdoc />
    public Task<LedgerHead> GetHeadAsync() => Task.FromResult(_book.Head);

    /// <inheritdoc />
    public Task<LedgerVerification> VerifyAsync() => Task.FromResult(_book.Verify());
}
