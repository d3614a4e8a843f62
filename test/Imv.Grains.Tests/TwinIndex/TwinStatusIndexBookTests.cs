using Imv.Grains.Interfaces.TwinIndex;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.TwinIndex;
using Xunit;

namespace Imv.Grains.Tests.TwinIndex;

public sealed class TwinStatusIndexBookTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    private static TwinIndexEntry Entry(string id, MachineRunState state = MachineRunState.Running, int alarms = 0, int second = 0,
        string? org = "line-1", string? gateway = "simulator", TwinKind kind = TwinKind.Equipment) =>
        new(id, kind, org, gateway, state, alarms, T0.AddSeconds(second));

    [Fact]
    public void Keeps_entries_in_ordinal_id_order_and_tells_place_changes_from_status_changes()
    {
        var book = new TwinStatusIndexBook();
        Assert.Equal(TwinIndexChange.Place, book.Apply(Entry("b")));
        Assert.Equal(TwinIndexChange.Place, book.Apply(Entry("a")));
        Assert.Equal(TwinIndexChange.Place, book.Apply(Entry("B")));
        Assert.Equal(["B", "a", "b"], book.Query(new TwinIndexQuery(null, null, null, 10)).First.Select(e => e.TwinId));

        Assert.Equal(TwinIndexChange.None, book.Apply(Entry("a")));                                   // the same entry
        Assert.Equal(TwinIndexChange.None, book.Apply(Entry("a", second: 10)));                       // only a later report time
        Assert.Equal(T0.AddSeconds(10), book.Find("a")!.ReportedAt);
        Assert.Equal(TwinIndexChange.Status, book.Apply(Entry("a", MachineRunState.Faulted, 1, second: 11)));
        Assert.Equal(TwinIndexChange.Place, book.Apply(Entry("a", MachineRunState.Faulted, 1, second: 12, gateway: "mqtt")));

        // An older status is ignored, but a place it brings is taken (a move must never be lost).
        Assert.Equal(TwinIndexChange.None, book.Apply(Entry("a", MachineRunState.Idle, second: 5, gateway: "mqtt")));
        Assert.Equal(MachineRunState.Faulted, book.Find("a")!.State);
        Assert.Equal(TwinIndexChange.Place, book.Apply(Entry("a", MachineRunState.Idle, second: 5, kind: TwinKind.Product, gateway: "mqtt")));
        Assert.Equal((TwinKind.Product, MachineRunState.Faulted), (book.Find("a")!.Kind, book.Find("a")!.State));

        Assert.True(book.Remove("a"));
        Assert.False(book.Remove("a"));
        Assert.Equal(2, book.Count);
    }

    [Fact]
    public void Reads_entries_of_the_first_stored_layout_out_of_order_keeping_each_twin_s_latest_entry()
    {
        var book = new TwinStatusIndexBook([Entry("c"), Entry("a", second: 1), Entry("a", MachineRunState.Idle, second: 2)]);
        Assert.Equal(["a", "c"], book.Entries().Select(e => e.TwinId));
        Assert.Equal(MachineRunState.Idle, book.Find("a")!.State);
    }

    [Fact]
    public void A_query_counts_every_match_and_returns_the_first_ones_by_weight()
    {
        var book = new TwinStatusIndexBook();
        for (int i = 0; i < 10; i++)
            book.Apply(Entry($"t{i}", i % 2 == 0 ? MachineRunState.Running : MachineRunState.Idle, alarms: i % 3, kind: i < 8 ? TwinKind.Equipment : TwinKind.Material));

        var running = book.Query(new TwinIndexQuery(null, MachineRunState.Running, null, 2));
        Assert.Equal(5, running.Matching);
        Assert.Equal(["t0", "t2"], running.First.Select(e => e.TwinId));

        var alarmed = book.Query(new TwinIndexQuery(TwinKind.Equipment, null, true, 100));
        Assert.Equal(["t1", "t2", "t4", "t5", "t7"], alarmed.First.Select(e => e.TwinId));
        Assert.Equal(book.Query(new TwinIndexQuery(TwinKind.Equipment, null, false, 0)).Matching, 8 - alarmed.Matching);

        // Weighed by alarms: t1 (1), t2 (2) reach 3; the weight is the sum of every match's alarms.
        var alarms = book.Query(new TwinIndexQuery(null, null, true, 3, WeighByAlarms: true));
        Assert.Equal(["t1", "t2"], alarms.First.Select(e => e.TwinId));
        Assert.Equal(Enumerable.Range(0, 10).Sum(i => i % 3), alarms.Weight);
        Assert.Same(TwinIndexPage.Empty, book.Query(new TwinIndexQuery(TwinKind.Product, null, null, 5)));
    }

    [Fact]
    public void A_twin_whose_values_went_stale_reads_unknown_from_then_on()
    {
        var book = new TwinStatusIndexBook();
        book.Apply(Entry("live") with { StaleAt = T0.AddSeconds(3) });
        book.Apply(Entry("never-stale"));
        book.Apply(Entry("offline", MachineRunState.Offline) with { StaleAt = T0.AddSeconds(3) });
        TwinIndexPage At(int second, MachineRunState state) => book.Query(new TwinIndexQuery(null, state, null, 10, Now: T0.AddSeconds(second)));
        Assert.Equal(["live", "never-stale"], At(2, MachineRunState.Running).First.Select(e => e.TwinId));
        Assert.Equal(["never-stale"], At(3, MachineRunState.Running).First.Select(e => e.TwinId));
        Assert.Equal(["live"], At(3, MachineRunState.Unknown).First.Select(e => e.TwinId));
        Assert.Equal(["offline"], At(9, MachineRunState.Offline).First.Select(e => e.TwinId));
        // A later push (readings came again) moves the instant on.
        book.Apply(Entry("live", second: 4) with { StaleAt = T0.AddSeconds(7) });
        Assert.Equal(MachineRunState.Running, book.Find("live")!.StateAt(T0.AddSeconds(5)));
    }

    [Fact]
    public void Random_changes_answer_like_a_plain_dictionary()
    {
        var rng = new Random(2026);
        var book = new TwinStatusIndexBook();
        var model = new Dictionary<string, TwinIndexEntry>(StringComparer.Ordinal);
        for (int step = 0; step < 5000; step++)
        {
            var id = "twin-" + rng.Next(300);
            if (rng.Next(10) == 0)
            {
                Assert.Equal(model.Remove(id), book.Remove(id));
                continue;
            }
            var e = Entry(id, (MachineRunState)rng.Next(5), rng.Next(3), second: rng.Next(1000), org: "line-" + rng.Next(2), kind: (TwinKind)rng.Next(3));
            book.Apply(e);
            model[id] = model.TryGetValue(id, out var held) && e.ReportedAt < held.ReportedAt
                ? held with { Kind = e.Kind, OrganizationId = e.OrganizationId, Gateway = e.Gateway } : e;
        }
        foreach (var query in new[]
        {
            new TwinIndexQuery(null, null, null, 20), new TwinIndexQuery(TwinKind.Material, MachineRunState.Faulted, null, 7),
            new TwinIndexQuery(null, null, true, 11, WeighByAlarms: true), new TwinIndexQuery(null, MachineRunState.Idle, false, 1000),
        })
        {
            var expected = model.Values.Where(e => query.Matches(e) && query.WeightOf(e) > 0).OrderBy(e => e.TwinId, StringComparer.Ordinal).ToList();
            var page = book.Query(query);
            Assert.Equal(expected.Count, page.Matching);
            Assert.Equal(expected.Sum(query.WeightOf), page.Weight);
            long taken = 0;
            var first = expected.TakeWhile(e => { bool take = taken < query.Take; taken += query.WeightOf(e); return take; }).ToList();
            Assert.Equal(first, page.First);
        }
    }

    [Fact]
    public void The_stored_form_reads_back_every_entry_as_it_was()
    {
        var rng = new Random(7);
        var book = new TwinStatusIndexBook();
        string?[] organizations = ["line-1", null, "líne-2 ünïcode"];
        string?[] gateways = ["simulator", null, "mqtt-a"];
        for (int i = 0; i < 2000; i++)
        {
            var e = Entry($"twin-{rng.Next(1500):0000}", (MachineRunState)rng.Next(5), rng.Next(4) == 0 ? rng.Next(1, 2000) : 0,
                second: rng.Next(-100_000, 100_000), org: organizations[rng.Next(3)], gateway: gateways[rng.Next(3)], kind: (TwinKind)rng.Next(3));
            book.Apply(rng.Next(3) == 0 ? e with { StaleAt = e.ReportedAt.AddMilliseconds(rng.Next(-5_000, 1_000_000)) } : e);
        }
        book.Remove(book.Entries().First().TwinId);
        var packed = book.Pack();
        var read = TwinStatusIndexBook.Unpack(packed);
        Assert.Equal(book.Entries(), read.Entries());
        Assert.Equal(book.Count, read.Count);
        // About 35 bytes per twin here (ids of 9 characters, report times spread over days): not ~70 as entries one by one.
        Assert.True(packed.Length < book.Count * 40, $"{packed.Length} bytes for {book.Count} twins");
        Assert.Equal(read.Entries(), TwinStatusIndexBook.Unpack(read.Pack()).Entries());
        Assert.Equal(0, new TwinStatusIndexBook().Count);
        Assert.Empty(TwinStatusIndexBook.Unpack(new TwinStatusIndexBook().Pack()).Entries());
    }

    [Fact]
    public void A_damaged_stored_form_is_refused_saying_where()
    {
        var book = new TwinStatusIndexBook();
        book.Apply(Entry("a"));
        book.Apply(Entry("b") with { StaleAt = T0.AddSeconds(30) });
        var packed = book.Pack();
        var truncated = Assert.Throws<InvalidDataException>(() => TwinStatusIndexBook.Unpack(packed[..^3]));
        Assert.Contains("ends early", truncated.Message, StringComparison.Ordinal);
        var version = (byte[])packed.Clone();
        version[0] = 9;
        Assert.Contains("layout 9", Assert.Throws<InvalidDataException>(() => TwinStatusIndexBook.Unpack(version)).Message, StringComparison.Ordinal);
        Assert.Contains("follow the last twin", Assert.Throws<InvalidDataException>(() => TwinStatusIndexBook.Unpack([.. packed, 0])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Twins_of_a_shard_share_their_organization_and_gateway_strings()
    {
        var book = new TwinStatusIndexBook();
        book.Apply(Entry("a", org: new string("line-1".AsSpan()), gateway: new string("gw".AsSpan())));
        book.Apply(Entry("b", org: new string("line-1".AsSpan()), gateway: new string("gw".AsSpan())));
        Assert.Same(book.Find("a")!.OrganizationId, book.Find("b")!.OrganizationId);
        Assert.Same(book.Find("a")!.Gateway, book.Find("b")!.Gateway);
        Assert.Equal(TwinIndexChange.Place, book.Apply(Entry("b", org: "line-1", gateway: "other", second: 1)));
        Assert.Equal("other", book.Find("b")!.Gateway);
        Assert.Equal("gw", book.Find("a")!.Gateway);
    }

    [Fact]
    public void Shard_keys_are_stable_per_organization_and_name_their_organization()
    {
        var key = TwinStatusIndex.ShardKey("site-1.line-02", "site-1.line-02.machine-003");
        Assert.Equal(key, TwinStatusIndex.ShardKey("site-1.line-02", "site-1.line-02.machine-003"));
        Assert.StartsWith("org/site-1.line-02/", key, StringComparison.Ordinal);
        Assert.Equal("site-1.line-02", TwinStatusIndex.OrganizationOf(key));
        Assert.Equal("a/b", TwinStatusIndex.OrganizationOf(TwinStatusIndex.ShardKey("a/b", "x")));
        Assert.Null(TwinStatusIndex.OrganizationOf(TwinStatusIndex.ShardKey(null, "x")));
        var shards = Enumerable.Range(0, 1000).Select(i => TwinStatusIndex.ShardKey("line", $"m{i}")).Distinct().Count();
        Assert.Equal(TwinStatusIndex.ShardsPerOrganization, shards);
        Assert.Equal(TwinStatusIndex.ShardsWithoutOrganization, Enumerable.Range(0, 1000).Select(i => TwinStatusIndex.ShardKey(null, $"m{i}")).Distinct().Count());
    }

    [Fact]
    public void Shard_keys_are_one_string_per_shard_also_when_read_back_from_storage()
    {
        // Every twin keeps its shard's key: the same instance for every twin of the shard, not a copy each.
        Assert.Same(TwinStatusIndex.ShardKey("line-7", "a"), TwinStatusIndex.ShardKey("line-7", "b"));
        Assert.Same(TwinStatusIndex.ShardKey(null, "m1"), TwinStatusIndex.ShardKey(null, "m1"));
        var stored = new string(TwinStatusIndex.ShardKey("line-8", "x").AsSpan());   // as deserialized: equal, not the same
        Assert.Same(TwinStatusIndex.ShardKey("line-8", "x"), TwinStatusIndex.Shared(stored));
        var none = new string(TwinStatusIndex.ShardKey(null, "m2").AsSpan());
        Assert.Same(TwinStatusIndex.ShardKey(null, "m2"), TwinStatusIndex.Shared(none));
        Assert.Equal("org/line-9/7", TwinStatusIndex.Shared("org/line-9/7"));   // another version's shard count: kept as is
        Assert.Equal("none/99", TwinStatusIndex.Shared("none/99"));
    }
}
