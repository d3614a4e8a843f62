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
        var book = new TwinStatusIndexBook(new TwinIndexState());
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
    public void Repairs_a_stored_state_out_of_order_keeping_each_twin_s_latest_entry()
    {
        var state = new TwinIndexState { Entries = [Entry("c"), Entry("a", second: 1), Entry("a", MachineRunState.Idle, second: 2)] };
        var book = new TwinStatusIndexBook(state);
        Assert.Equal(["a", "c"], state.Entries.Select(e => e.TwinId));
        Assert.Equal(MachineRunState.Idle, book.Find("a")!.State);
    }

    [Fact]
    public void A_query_counts_every_match_and_returns_the_first_ones_by_weight()
    {
        var book = new TwinStatusIndexBook(new TwinIndexState());
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
        var book = new TwinStatusIndexBook(new TwinIndexState());
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
        var book = new TwinStatusIndexBook(new TwinIndexState());
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
}
