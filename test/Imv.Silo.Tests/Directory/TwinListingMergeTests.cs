using Imv.Grains.Interfaces.TwinIndex;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.TwinIndex;
using Imv.Silo.Directory;

namespace Imv.Silo.Tests.Directory;

/// <summary>The merge of index shards' answers (<see cref="TwinListing.Merge"/>) against one sorted list of every twin.</summary>
public sealed class TwinListingMergeTests
{
    [Fact]
    public void Pages_merged_from_shards_equal_pages_of_one_sorted_list()
    {
        var rng = new Random(10);
        var shards = new Dictionary<string, TwinStatusIndexBook>(StringComparer.Ordinal);
        var all = new List<TwinIndexEntry>();
        for (int i = 0; i < 2000; i++)
        {
            var org = rng.Next(8) == 0 ? null : $"line-{rng.Next(12)}";
            var e = new TwinIndexEntry($"m-{rng.Next(100_000):00000}-{i}", (TwinKind)rng.Next(2), org, "g", (MachineRunState)rng.Next(5), rng.Next(4) == 0 ? rng.Next(1, 4) : 0, DateTimeOffset.UnixEpoch);
            all.Add(e);
            var key = TwinStatusIndex.ShardKey(org, e.TwinId);
            if (!shards.TryGetValue(key, out var book)) shards[key] = book = new TwinStatusIndexBook();
            book.Apply(e);
        }
        all.Sort((a, b) => string.CompareOrdinal(a.TwinId, b.TwinId));
        foreach (var (state, alarmed, weigh) in new (MachineRunState?, bool?, bool)[] { (null, null, false), (MachineRunState.Running, null, false), (null, false, false), (null, true, true) })
            foreach (var (skip, take) in new[] { (0L, 50), (50L, 50), (1234L, 7), (1990L, 50), (5000L, 50), (0L, 1) })
            {
                var query = new TwinIndexQuery(null, state, alarmed, (int)(skip + take), weigh);
                var merged = TwinListing.Merge([.. shards.Values.Select(b => b.Query(query))], query, skip, take);
                var matches = all.Where(query.Matches).Where(e => query.WeightOf(e) > 0).ToList();
                Assert.Equal(matches.Count, merged.Matching);
                Assert.Equal(matches.Sum(query.WeightOf), merged.Weight);
                // Expand each twin into its weight's units (one, or one per alarm) and cut the page out of them.
                var units = matches.SelectMany(e => Enumerable.Range(0, query.WeightOf(e)).Select(n => (e.TwinId, n))).ToList();
                var expected = units.Skip((int)Math.Min(skip, units.Count)).Take(take).ToList();
                var got = merged.Entries.SelectMany(e => Enumerable.Range(0, query.WeightOf(e)).Select(n => (e.TwinId, n))).Skip(merged.SkipInFirst).Take(take).ToList();
                Assert.Equal(expected, got);
            }
    }
}
