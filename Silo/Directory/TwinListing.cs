using Imv.Grains.Interfaces.TwinIndex;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Directory;

/// <summary>Lists and filters twins through the twin status index (<see cref="ITwinStatusIndexGrain"/>): asks the shards
/// concerned in parallel, each for its first matches in id order, and merges them; the same answer through any silo of
/// a cluster, without calling a twin. Used by <c>/api/twins</c>, <c>/api/alarms</c>, the summary and the bench.</summary>
public sealed class TwinListing(IGrainFactory grains, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The index shards that hold twins: all of them, or those of <paramref name="organizations"/>.</summary>
    public async Task<string[]> ShardsAsync(IReadOnlySet<string>? organizations = null)
    {
        var all = await grains.GetGrain<ITwinIndexCatalogGrain>(ITwinIndexCatalogGrain.Key).GetShardsAsync().ConfigureAwait(false);
        return organizations is null ? all : [.. all.Where(k => TwinStatusIndex.OrganizationOf(k) is { } o && organizations.Contains(o))];
    }

    /// <summary>The matching twins after skipping <paramref name="skip"/> (counted in twins, or in active alarms with
    /// <paramref name="weighByAlarms"/>), as many as cover <paramref name="take"/>.</summary>
    public async Task<TwinListingPage> QueryAsync(IReadOnlyList<string> shards, TwinKind? kind, MachineRunState? state, bool? alarmed,
        long skip, int take, bool weighByAlarms = false)
    {
        ArgumentNullException.ThrowIfNull(shards);
        if (shards.Count == 0) return new TwinListingPage(0, 0, [], 0, _time.GetUtcNow());
        var query = new TwinIndexQuery(kind, state, alarmed, (int)Math.Min(int.MaxValue, skip + take), weighByAlarms, _time.GetUtcNow());
        var pages = await Task.WhenAll(shards.Select(k => grains.GetGrain<ITwinStatusIndexGrain>(k).QueryAsync(query))).ConfigureAwait(false);
        return Merge(pages, query, skip, take);
    }

    /// <summary>Twins in the index (the summary's <c>twinsKnown</c>).</summary>
    public async Task<int> CountAsync()
    {
        var page = await QueryAsync(await ShardsAsync().ConfigureAwait(false), null, null, null, 0, 0).ConfigureAwait(false);
        return page.Matching;
    }

    /// <summary>Merges the shards' first matches in id order (ordinal) and keeps those covering [skip, skip + take) of the
    /// weight (one per twin, or its active alarms). A shard returns its matches until its own weight reaches skip + take,
    /// so every entry below that global weight is among them.</summary>
    public static TwinListingPage Merge(IReadOnlyList<TwinIndexPage> pages, TwinIndexQuery query, long skip, int take)
    {
        ArgumentNullException.ThrowIfNull(pages);
        ArgumentNullException.ThrowIfNull(query);
        int matching = 0;
        long weight = 0;
        var heads = new PriorityQueue<(int Page, int Index), string>(pages.Count, StringComparer.Ordinal);
        for (int p = 0; p < pages.Count; p++)
        {
            matching += pages[p].Matching;
            weight += pages[p].Weight;
            if (pages[p].First.Length > 0) heads.Enqueue((p, 0), pages[p].First[0].TwinId);
        }
        var items = new List<TwinIndexEntry>();
        long position = 0, end = skip + take;
        int skipInFirst = 0;
        while (position < end && heads.TryDequeue(out var head, out _))
        {
            var entry = pages[head.Page].First[head.Index];
            if (head.Index + 1 < pages[head.Page].First.Length) heads.Enqueue((head.Page, head.Index + 1), pages[head.Page].First[head.Index + 1].TwinId);
            int w = query.WeightOf(entry);
            if (w == 0) continue;
            if (position + w > skip)
            {
                if (items.Count == 0) skipInFirst = (int)Math.Max(0, skip - position);
                items.Add(entry);
            }
            position += w;
        }
        return new TwinListingPage(matching, weight, items, skipInFirst, query.Now);
    }
}

/// <summary>A merged page of the twin status index.</summary>
/// <param name="Matching">Twins matching over all shards.</param>
/// <param name="Weight">Their weight: the matching count, or their active alarms.</param>
/// <param name="Entries">The twins covering the page, in id order.</param>
/// <param name="SkipInFirst">With alarm weights: how many of the first twin's alarms belong to the previous page.</param>
/// <param name="At">The instant the states were read at (<see cref="TwinIndexEntry.StateAt(DateTimeOffset)"/>).</param>
public sealed record TwinListingPage(int Matching, long Weight, IReadOnlyList<TwinIndexEntry> Entries, int SkipInFirst, DateTimeOffset At);
