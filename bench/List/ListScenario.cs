using System.Diagnostics;
using System.Text.Json;
using Imv.Bench.Grid;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.TwinIndex;
using Imv.Grains.Interfaces.Twins;
using Imv.Silo.Api;
using Imv.Silo.Directory;

namespace Imv.Bench.List;

/// <summary><c>list [--quick]</c>: the twin status index behind <c>GET /api/twins</c> and <c>/api/alarms</c>, over
/// 100,000 twins on one silo (this process, memory storage): 2 sites x 50 lines x 1,000 twins, each line's twins in
/// its 4 index shards (400 shards), states and alarms drawn at random. The entries are written as the twins write them
/// (<see cref="ITwinStatusIndexGrain.SetAsync"/>); the twins themselves are not activated (the listing never calls them).
/// Each request is what the API does for a page of 50 (<see cref="TwinListing"/>, the organization walk for
/// <c>organization=</c>), without HTTP and JSON. Last line: one JSON object.</summary>
internal static class ListScenario
{
    private const int Sites = 2, LinesPerSite = 50, TwinsPerLine = 1000;

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        bool quick = args.Contains("--quick");
        int requests = quick ? 600 : 3000;
        await using var silo = await BenchSilo.StartAsync("memory", null, cancellationToken);
        var grains = silo.Grains;
        var listing = new TwinListing(grains);

        // The organization tree (for organization= filters) and the index entries.
        var fill = Stopwatch.StartNew();
        var enterprise = grains.GetGrain<IVirtualOrganizationGrain>("enterprise");
        await enterprise.InitializeAsync(OrganizationKind.Enterprise, "enterprise");
        var lines = new List<string>();
        for (int s = 1; s <= Sites; s++)
        {
            var site = $"site-{s}";
            await grains.GetGrain<IVirtualOrganizationGrain>(site).InitializeAsync(OrganizationKind.Factory, site);
            await enterprise.AddChildOrganizationAsync(site);
            for (int l = 1; l <= LinesPerSite; l++)
            {
                var line = $"{site}.line-{l:00}";
                await grains.GetGrain<IVirtualOrganizationGrain>(line).InitializeAsync(OrganizationKind.Line, line);
                await grains.GetGrain<IVirtualOrganizationGrain>(site).AddChildOrganizationAsync(line);
                lines.Add(line);
            }
        }
        var rng = new Random(10);
        var entries = lines.SelectMany(line => Enumerable.Range(1, TwinsPerLine).Select(m =>
        {
            double r = rng.NextDouble();
            var state = r < 0.70 ? MachineRunState.Running : r < 0.90 ? MachineRunState.Idle : r < 0.95 ? MachineRunState.Faulted : MachineRunState.Offline;
            int alarms = rng.NextDouble() < 0.1 ? rng.Next(1, 3) : 0;
            return new TwinIndexEntry($"{line}.machine-{m:0000}", TwinKind.Equipment, line, "simulator", state, alarms, DateTimeOffset.UtcNow);
        })).ToList();
        await Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = 64, CancellationToken = cancellationToken }, async (e, _) =>
            await grains.GetGrain<ITwinStatusIndexGrain>(TwinStatusIndex.ShardKey(e.OrganizationId, e.TwinId)).SetAsync(e));
        var shards = await listing.ShardsAsync();
        var filled = fill.Elapsed;
        Console.Error.WriteLine($"list: {entries.Count:N0} entries in {shards.Length} shards in {filled.TotalSeconds:F1} s");
        var known = await listing.CountAsync();
        if (known != entries.Count)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { scenario = "list", missing = $"the index counts {known} twins, not {entries.Count}" }));
            return 1;
        }

        // The requests: page 1 of everything, a deep page of Running twins, a site's alarmed twins, a line, a page of alarms.
        var queries = new (string Name, Func<Task<int>> Run)[]
        {
            ("all_page_1", async () => (await listing.QueryAsync(await listing.ShardsAsync(), null, null, null, 0, 50)).Entries.Count),
            ("running_page_200", async () => (await listing.QueryAsync(await listing.ShardsAsync(), null, MachineRunState.Running, null, 199 * 50, 50)).Entries.Count),
            ("site_alarmed_page_1", async () =>
            {
                var orgs = await OrganizationTree.OrganizationsAsync(grains, "site-2");
                return (await listing.QueryAsync(await listing.ShardsAsync(orgs), null, null, true, 0, 50)).Entries.Count;
            }),
            ("line_faulted_page_1", async () =>
            {
                var orgs = await OrganizationTree.OrganizationsAsync(grains, "site-1.line-17");
                return (await listing.QueryAsync(await listing.ShardsAsync(orgs), null, MachineRunState.Faulted, null, 0, 50)).Entries.Count;
            }),
            ("alarms_page_3", async () => (await listing.QueryAsync(await listing.ShardsAsync(), null, null, true, 100, 50, weighByAlarms: true)).Entries.Count),
        };
        foreach (var q in queries) await q.Run();   // warm up (JIT, activations)

        var durations = queries.ToDictionary(q => q.Name, _ => new List<double>());
        var all = new List<double>();
        for (int i = 0; i < requests; i++)
        {
            var q = queries[i % queries.Length];
            var sw = Stopwatch.StartNew();
            int n = await q.Run();
            double ms = sw.Elapsed.TotalMilliseconds;
            if (n == 0) throw new InvalidOperationException($"{q.Name} listed nothing");
            durations[q.Name].Add(ms);
            all.Add(ms);
        }
        // Eight clients at once: the latency a page sees while others list too.
        var concurrent = new List<double>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(c => Task.Run(async () =>
        {
            var mine = new List<double>();
            for (int i = 0; i < requests / 8; i++)
            {
                var sw = Stopwatch.StartNew();
                await queries[(i + c) % queries.Length].Run();
                mine.Add(sw.Elapsed.TotalMilliseconds);
            }
            lock (concurrent) concurrent.AddRange(mine);
        }, cancellationToken)));

        var figures = new Dictionary<string, object?>
        {
            ["scenario"] = "list",
            ["twins"] = entries.Count,
            ["organizations"] = lines.Count,
            ["shards"] = shards.Length,
            ["fill_s"] = Math.Round(filled.TotalSeconds, 1),
            ["requests"] = all.Count,
            ["list_p50_ms"] = Math.Round(Percentile(all, 0.50), 2),
            ["list_p99_ms"] = Math.Round(Percentile(all, 0.99), 2),
            ["list_p99_ms_8_clients"] = Math.Round(Percentile(concurrent, 0.99), 2),
            ["p99_ms_by_query"] = durations.ToDictionary(d => d.Key, d => Math.Round(Percentile(d.Value, 0.99), 2)),
            ["processors"] = Environment.ProcessorCount,
        };
        Console.WriteLine(JsonSerializer.Serialize(figures));
        return 0;
    }

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(sorted.Count * p) - 1, 0, sorted.Count - 1)];
    }
}
