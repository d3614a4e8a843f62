using System.Text;
using Imv.Grains.Assets;
using Imv.Grains.Interfaces.Assets;
using Imv.Grains.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace Imv.Grains.Tests.Assets;

/// <summary>The ledger grain keeps only its tip and writes one bounded segment per append.</summary>
public sealed class SegmentedLedgerTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static LedgerRecord Record(int i) =>
        new($"e{i:D6}", LedgerEntryKind.Transfer, "IMV", $"w{i % 7}", $"w{(i + 1) % 7}", 1000 + i % 1000, $"memo-{i:D6}", T0.AddSeconds(i));

    [Fact]
    public async Task Bytes_written_per_append_do_not_grow_with_the_ledger_and_every_entry_survives_a_crash()
    {
        const int n = 3000;
        var storage = new SharedTestStorage();
        var perAppend = new long[n];
        LedgerHead head;
        // One silo: Orleans' serializer writes a string shared by two entries (an entry's hash, the next one's previous
        // hash) once when they arrive by a local call, twice after a remote one; with two silos the bytes per segment
        // would depend on where each segment grain was placed.
        await using (var cluster = await GrainsTestCluster.StartAsync(storage, silos: 1))
        {
            var ledger = cluster.GrainFactory.GetGrain<ILedgerGrain>("bytes");
            for (var i = 0; i < n; i++)
            {
                long before = storage.BytesWritten;
                var entry = await ledger.AppendAsync(Record(i));
                Assert.Equal(i, entry.Index);
                perAppend[i] = storage.BytesWritten - before;
            }
            // The first two segments against the last two: the same cost, not 45 times more.
            const int window = 2 * LedgerSegments.Capacity;
            long earlyMax = perAppend.Take(window).Max(), lateMax = perAppend.Skip(n - window).Max();
            double earlyMean = perAppend.Take(window).Average(), lateMean = perAppend.Skip(n - window).Average();
            output.WriteLine($"bytes per append: first {window}: mean {earlyMean:0}, max {earlyMax}; last {window}: mean {lateMean:0}, max {lateMax}");
            Assert.True(lateMax <= earlyMax + 64, $"largest append wrote {lateMax} bytes at the end, {earlyMax} at the start");
            Assert.True(lateMean <= earlyMean * 1.05, $"appends wrote {lateMean:0} bytes on average at the end, {earlyMean:0} at the start");
            // Bounded by one full segment plus the tip and the id: a few kilobytes, not the whole ledger.
            Assert.True(perAppend.Max() < 32 * 1024, $"an append wrote {perAppend.Max()} bytes");
            Assert.True(storage.LargestByState["ledger-head"] < 200, $"the tip's state grew to {storage.LargestByState["ledger-head"]} bytes");
            Assert.False(storage.LargestByState.ContainsKey("ledger"), "the single-state ledger was written");

            head = await ledger.GetHeadAsync();
            Assert.Equal(n, head.Count);
            var verification = await ledger.VerifyAsync();
            Assert.True(verification.IsValid, verification.Problem);
            Assert.Equal(n, verification.Count);

            // Reads across segment boundaries, look-ups by id, idempotent appends.
            var page = await ledger.GetEntriesAsync(LedgerSegments.Capacity - 3, 10);
            Assert.Equal(Enumerable.Range(LedgerSegments.Capacity - 3, 10).Select(i => (long)i), page.Select(e => e.Index));
            Assert.Equal(Record(1234), (await ledger.FindAsync("e001234"))!.Record);
            Assert.Null(await ledger.FindAsync("never"));
            var again = await ledger.AppendAsync(Record(17) with { Amount = 1 });
            Assert.Equal((17L, Record(17)), (again.Index, again.Record));
            Assert.Equal(n, (await ledger.GetHeadAsync()).Count);
            Assert.Equal(3, (await ledger.GetEntriesAsync(n - 3, 100)).Count);
            await cluster.KillAllSilosAsync();
        }

        await using (var cluster = await GrainsTestCluster.StartAsync(storage, silos: 1))
        {
            var ledger = cluster.GrainFactory.GetGrain<ILedgerGrain>("bytes");
            Assert.Equal(head, await ledger.GetHeadAsync());
            Assert.True((await ledger.VerifyAsync()).IsValid);
            Assert.Equal(Record(2999), (await ledger.FindAsync("e002999"))!.Record);
            Assert.Equal(n, (await ledger.AppendAsync(Record(n))).Index);
        }
    }

    [Fact]
    public async Task Verify_names_an_entry_edited_in_storage_and_an_entry_removed_with_its_segment()
    {
        var storage = new SharedTestStorage();
        const int n = 5 * LedgerSegments.Capacity + 10;
        await using (var cluster = await GrainsTestCluster.StartAsync(storage))
        {
            var ledger = cluster.GrainFactory.GetGrain<ILedgerGrain>("tamper");
            for (var i = 0; i < n; i++) await ledger.AppendAsync(Record(i));
            Assert.True((await ledger.VerifyAsync()).IsValid);
            await cluster.StopAllSilosAsync();
        }

        // Edit the memo of entry 150 (segment 2) in the stored bytes, keeping the record's length.
        var segment2 = GrainId.Create("x", "y");
        await using (var cluster = await GrainsTestCluster.StartAsync(storage))
        {
            segment2 = cluster.GrainFactory.GetGrain<ILedgerSegmentGrain>(LedgerSegments.SegmentKey("tamper", 2)).GetGrainId();
            var stored = storage.Read("ledger-segment", segment2)!;
            var edited = Replace(stored.Data, "memo-000150", "memo-999150");
            storage.Write("ledger-segment", segment2, edited, stored.ETag);

            var v = await cluster.GrainFactory.GetGrain<ILedgerGrain>("tamper").VerifyAsync();
            Assert.False(v.IsValid);
            Assert.Equal(150, v.BadIndex);
            Assert.Equal("e000150", v.BadEntryId);
            Assert.Contains("edited", v.Problem, StringComparison.Ordinal);
            Assert.Equal(n, v.Count);
            await cluster.StopAllSilosAsync();
        }

        // Put entry 150 back, then remove segment 3 (entries 192 to 255) altogether.
        await using (var cluster = await GrainsTestCluster.StartAsync(storage))
        {
            var stored = storage.Read("ledger-segment", segment2)!;
            storage.Write("ledger-segment", segment2, Replace(stored.Data, "memo-999150", "memo-000150"), stored.ETag);
            var ledger = cluster.GrainFactory.GetGrain<ILedgerGrain>("tamper");
            Assert.True((await ledger.VerifyAsync()).IsValid);
            var segment3 = cluster.GrainFactory.GetGrain<ILedgerSegmentGrain>(LedgerSegments.SegmentKey("tamper", 3)).GetGrainId();
            storage.Clear("ledger-segment", segment3, storage.Read("ledger-segment", segment3)!.ETag);
            await cluster.StopAllSilosAsync();
        }

        await using (var cluster = await GrainsTestCluster.StartAsync(storage))
        {
            var v = await cluster.GrainFactory.GetGrain<ILedgerGrain>("tamper").VerifyAsync();
            Assert.False(v.IsValid);
            Assert.Equal(3 * LedgerSegments.Capacity, v.BadIndex);
            Assert.Contains("missing", v.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_append_cut_short_before_its_tip_was_written_is_rolled_forward_once()
    {
        var storage = new SharedTestStorage();
        await using var cluster = await GrainsTestCluster.StartAsync(storage);
        var f = cluster.GrainFactory;
        var ledger = f.GetGrain<ILedgerGrain>("crash");
        for (var i = 0; i < LedgerSegments.Capacity; i++) await ledger.AppendAsync(Record(i));
        var head = await ledger.GetHeadAsync();
        // What a crash leaves between the segment write and the tip write: the id claimed, the entry stored.
        var entry = HashChain.Link(head.Count, Record(500), head.HeadHash);
        await f.GetGrain<ILedgerEntryIndexGrain>(LedgerSegments.IndexKey("crash", "e000500")).ClaimAsync(head.Count, head.Count);
        await f.GetGrain<ILedgerSegmentGrain>(LedgerSegments.SegmentKey("crash", LedgerSegments.SegmentOf(head.Count))).PutAsync(entry);
        var v = await ledger.VerifyAsync();
        Assert.False(v.IsValid);
        Assert.Contains("not covered by the head", v.Problem, StringComparison.Ordinal);

        await cluster.RestartAllSilosAsync();
        Assert.Equal(head.Count + 1, (await ledger.GetHeadAsync()).Count);
        Assert.True((await ledger.VerifyAsync()).IsValid);
        Assert.Equal(entry, await ledger.AppendAsync(Record(500)));    // the retried append finds it
        Assert.Equal(head.Count + 1, (await ledger.GetHeadAsync()).Count);
        // A claim whose entry was never stored does not block the id.
        await f.GetGrain<ILedgerEntryIndexGrain>(LedgerSegments.IndexKey("crash", "e000600")).ClaimAsync(head.Count + 1, head.Count + 1);
        await ledger.AppendAsync(Record(501));
        var late = await ledger.AppendAsync(Record(600));
        Assert.Equal(head.Count + 2, late.Index);
        Assert.Equal(late, await ledger.FindAsync("e000600"));
        Assert.True((await ledger.VerifyAsync()).IsValid);
    }

    [Fact]
    public async Task A_ledger_stored_in_one_state_by_the_earlier_grain_is_moved_into_segments()
    {
        var storage = new SharedTestStorage();
        var legacy = new LedgerState();
        var book = new LedgerBook(legacy, new LedgerHeadState());
        for (var i = 0; i < 150; i++) book.Append(Record(i));
        await using var cluster = await GrainsTestCluster.StartAsync(storage);
        var ledger = cluster.GrainFactory.GetGrain<ILedgerGrain>("old");
        // The earlier grain's two states, as the Orleans serializer stores them: every entry in "ledger", the head in "ledger-head".
        var serializer = cluster.Silos[0].ServiceProvider.GetRequiredService<Serializer>();
        storage.Write("ledger", ledger.GetGrainId(), serializer.SerializeToArray(legacy), null);
        storage.Write("ledger-head", ledger.GetGrainId(), serializer.SerializeToArray(new LedgerHeadState { Count = book.Head.Count, HeadHash = book.Head.HeadHash }), null);

        Assert.Equal(book.Head, await ledger.GetHeadAsync());
        Assert.Equal(legacy.Entries, await ledger.GetEntriesAsync(0, 1000));
        Assert.True((await ledger.VerifyAsync()).IsValid);
        Assert.Null(storage.Read("ledger", ledger.GetGrainId()));
        Assert.Equal(99, (await ledger.AppendAsync(Record(99))).Index);     // ids moved too: idempotent
        Assert.Equal(150, (await ledger.AppendAsync(Record(150))).Index);
    }

    [Fact]
    public void Segmented_verification_names_the_same_problems_as_the_list()
    {
        var state = new LedgerState();
        var book = new LedgerBook(state, new LedgerHeadState());
        for (var i = 0; i < 200; i++) book.Append(Record(i));
        var entries = state.Entries;
        var removed = entries.Where(e => e.Index != 130).ToList();
        var verifier = new ChainVerifier(book.Head);
        foreach (var e in removed) verifier.Add(e);
        Assert.Equal(HashChain.Verify(removed, book.Head), verifier.Result());
        Assert.Equal(130, verifier.Result().BadIndex);
        Assert.Equal(199, verifier.Result().Count);
    }

    private static byte[] Replace(byte[] data, string from, string to)
    {
        byte[] f = Encoding.UTF8.GetBytes(from), t = Encoding.UTF8.GetBytes(to);
        int at = data.AsSpan().IndexOf(f);
        Assert.True(at >= 0, $"'{from}' is not in the stored record");
        var copy = (byte[])data.Clone();
        t.CopyTo(copy, at);
        return copy;
    }
    [Fact]
    public async Task A_group_is_chained_like_single_appends_across_segments_and_a_retried_group_appends_nothing_twice()
    {
        var storage = new SharedTestStorage();
        await using var cluster = await GrainsTestCluster.StartAsync(storage, silos: 1);
        var single = cluster.GrainFactory.GetGrain<ILedgerGrain>("one-by-one");
        var grouped = cluster.GrainFactory.GetGrain<ILedgerGrain>("grouped");
        const int n = 2 * LedgerSegments.Capacity + 10;
        for (var i = 0; i < n; i++) await single.AppendAsync(Record(i));
        // Groups of 3, 50 and the rest: the second crosses the first segment boundary, the last the second.
        var first = await grouped.AppendManyAsync([.. Enumerable.Range(0, 3).Select(Record)]);
        Assert.Equal([0L, 1, 2], first.Select(e => e.Index));
        var second = await grouped.AppendManyAsync([.. Enumerable.Range(3, 70).Select(Record)]);
        Assert.Equal(Enumerable.Range(3, 70).Select(i => (long)i), second.Select(e => e.Index));
        await grouped.AppendManyAsync([.. Enumerable.Range(73, n - 73).Select(Record)]);
        // The same records give the same chain, whether appended one by one or in groups.
        Assert.Equal(await single.GetHeadAsync(), await grouped.GetHeadAsync());
        Assert.Equal(await single.GetEntriesAsync(0, n), await grouped.GetEntriesAsync(0, n));
        Assert.True((await grouped.VerifyAsync()).IsValid);

        // A writer retrying a group whose first attempt was stored: the entries come back, nothing is appended.
        var retried = await grouped.AppendManyAsync([.. Enumerable.Range(3, 70).Select(Record)]);
        Assert.Equal(second, retried);
        var mixed = await grouped.AppendManyAsync([Record(5), Record(n), Record(7)]);
        Assert.Equal([5L, n, 7], mixed.Select(e => e.Index));
        Assert.Equal(n + 1, (await grouped.GetHeadAsync()).Count);
        Assert.True((await grouped.VerifyAsync()).IsValid);
        Assert.Empty(await grouped.AppendManyAsync([]));
        await Assert.ThrowsAsync<ArgumentException>(() => grouped.AppendManyAsync([Record(n + 1), Record(n + 1)]));
    }
}
