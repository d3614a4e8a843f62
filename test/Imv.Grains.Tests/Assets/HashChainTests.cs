using Imv.Grains.Assets;
using Imv.Grains.Interfaces.Assets;
using Xunit;

namespace Imv.Grains.Tests.Assets;

public sealed class HashChainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static (LedgerBook Book, LedgerState State, LedgerHeadState Head) Build(int count)
    {
        var state = new LedgerState();
        var head = new LedgerHeadState();
        var book = new LedgerBook(state, head);
        for (var i = 0; i < count; i++)
            book.Append(new LedgerRecord($"t{i}", LedgerEntryKind.Transfer, "EUR", $"w{i % 3}", $"w{(i + 1) % 3}", 10 + i, null, T0.AddSeconds(i)));
        return (book, state, head);
    }

    [Fact]
    public void Intact_chain_verifies_and_appends_are_idempotent_on_id()
    {
        var (book, state, head) = Build(20);
        Assert.True(book.Verify().IsValid);
        Assert.Equal(20, book.Verify().Count);
        var (again, appended) = book.Append(new LedgerRecord("t5", LedgerEntryKind.Transfer, "X", null, null, 1, null, T0));
        Assert.False(appended);
        Assert.Equal(5, again.Index);
        Assert.Equal(20, state.Entries.Count);
        Assert.Equal(state.Entries[^1].Hash, head.HeadHash);
        Assert.Equal(HashChain.Genesis, state.Entries[0].PreviousHash);
    }

    [Fact]
    public void Edited_entry_is_named()
    {
        var (book, state, _) = Build(20);
        state.Entries[7] = state.Entries[7] with { Record = state.Entries[7].Record with { Amount = 1_000_000 } };
        var v = book.Verify();
        Assert.False(v.IsValid);
        Assert.Equal(7, v.BadIndex);
        Assert.Equal("t7", v.BadEntryId);
        Assert.Contains("edited", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Edited_and_rehashed_entry_breaks_the_next_link()
    {
        var (book, state, _) = Build(20);
        var e = state.Entries[7];
        var forged = e.Record with { To = "mallory" };
        state.Entries[7] = HashChain.Link(7, forged, e.PreviousHash);
        var v = book.Verify();
        Assert.False(v.IsValid);
        Assert.Equal(8, v.BadIndex);
        Assert.Equal("t8", v.BadEntryId);
    }

    [Fact]
    public void Removed_entry_is_named()
    {
        var (book, state, _) = Build(20);
        state.Entries.RemoveAt(4);
        var v = book.Verify();
        Assert.False(v.IsValid);
        Assert.Equal(4, v.BadIndex);
        Assert.Equal("t5", v.BadEntryId);
        Assert.Contains("missing", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Removed_and_renumbered_entry_breaks_the_link()
    {
        var (book, state, _) = Build(20);
        state.Entries.RemoveAt(4);
        for (var i = 4; i < state.Entries.Count; i++) state.Entries[i] = state.Entries[i] with { Index = i };
        var v = book.Verify();
        Assert.False(v.IsValid);
        Assert.Equal(4, v.BadIndex);
    }

    [Fact]
    public void Reordered_entries_are_named()
    {
        var (book, state, _) = Build(20);
        (state.Entries[10], state.Entries[11]) = (state.Entries[11], state.Entries[10]);
        var v = book.Verify();
        Assert.False(v.IsValid);
        Assert.Equal(10, v.BadIndex);
        Assert.Equal("t11", v.BadEntryId);
    }

    [Fact]
    public void Removed_tail_is_detected_by_the_head()
    {
        var (book, state, _) = Build(20);
        state.Entries.RemoveRange(17, 3);
        var v = book.Verify();
        Assert.False(v.IsValid);
        Assert.Equal(17, v.BadIndex);
        Assert.Contains("removed", v.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Head_rolls_forward_after_a_crash_between_the_two_writes_but_not_over_a_broken_chain()
    {
        var (_, state, head) = Build(5);
        var staleHead = new LedgerHeadState { Count = head.Count, HeadHash = head.HeadHash };
        var book = new LedgerBook(state, head);
        book.Append(new LedgerRecord("t5", LedgerEntryKind.Transfer, "EUR", "a", "b", 1, null, T0));
        // Crash: entries written, head not.
        var reloaded = new LedgerBook(state, staleHead);
        Assert.False(reloaded.Verify().IsValid);
        Assert.True(reloaded.ReconcileHead());
        Assert.True(reloaded.Verify().IsValid);
        Assert.Equal(6, reloaded.Head.Count);

        state.Entries[2] = state.Entries[2] with { Record = state.Entries[2].Record with { Amount = 0 } };
        var tampered = new LedgerBook(state, new LedgerHeadState { Count = 3, HeadHash = state.Entries[2].Hash });
        Assert.False(tampered.ReconcileHead());
    }
}
