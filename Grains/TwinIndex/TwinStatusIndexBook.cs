using Imv.Grains.Interfaces.TwinIndex;

namespace Imv.Grains.TwinIndex;

/// <summary>What an <see cref="TwinStatusIndexBook.Apply"/> changed.</summary>
public enum TwinIndexChange
{
    /// <summary>Nothing (the same entry, or an older status).</summary>
    None,

    /// <summary>Only the status (state, alarms, report time): may be written behind.</summary>
    Status,

    /// <summary>A twin was added, or its kind, organization or gateway changed: written before the call returns.</summary>
    Place,
}

/// <summary>The logic of a twin status index shard over its state: entries kept sorted by twin id (ordinal), so a
/// query is one pass in id order and returns its first matches without sorting. Plain class, tested alone.</summary>
public sealed class TwinStatusIndexBook
{
    private readonly List<TwinIndexEntry> _entries;

    /// <summary>Wraps the state's entries (sorted by id; sorted here when they are not).</summary>
    public TwinStatusIndexBook(TwinIndexState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _entries = state.Entries;
        for (int i = 1; i < _entries.Count; i++)
            if (string.CompareOrdinal(_entries[i - 1].TwinId, _entries[i].TwinId) >= 0)
            {
                var distinct = _entries.GroupBy(e => e.TwinId, StringComparer.Ordinal).Select(g => g.MaxBy(e => e.ReportedAt)!).OrderBy(e => e.TwinId, StringComparer.Ordinal).ToList();
                _entries.Clear();
                _entries.AddRange(distinct);
                break;
            }
    }

    /// <summary>Twins held.</summary>
    public int Count => _entries.Count;

    /// <summary>The entry of a twin; null when not held.</summary>
    public TwinIndexEntry? Find(string twinId)
    {
        int i = IndexOf(twinId);
        return i >= 0 ? _entries[i] : null;
    }

    /// <summary>Adds or replaces a twin's entry. The place (kind, organization, gateway) is always taken; the status
    /// only when it is not older than the one held (pushes may arrive out of order).</summary>
    public TwinIndexChange Apply(TwinIndexEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.TwinId);
        int i = IndexOf(entry.TwinId);
        if (i < 0)
        {
            _entries.Insert(~i, entry);
            return TwinIndexChange.Place;
        }
        var held = _entries[i];
        bool samePlace = held.SamePlace(entry);
        if (entry.ReportedAt < held.ReportedAt)
        {
            if (samePlace) return TwinIndexChange.None;
            _entries[i] = held with { Kind = entry.Kind, OrganizationId = entry.OrganizationId, Gateway = entry.Gateway };
            return TwinIndexChange.Place;
        }
        if (held == entry) return TwinIndexChange.None;
        _entries[i] = entry;
        if (!samePlace) return TwinIndexChange.Place;
        // A later report of the same state and alarms changes only the report time: kept in memory, not worth a write.
        return held.State == entry.State && held.ActiveAlarms == entry.ActiveAlarms ? TwinIndexChange.None : TwinIndexChange.Status;
    }

    /// <summary>Removes a twin; false when it was not held.</summary>
    public bool Remove(string twinId)
    {
        int i = IndexOf(twinId);
        if (i < 0) return false;
        _entries.RemoveAt(i);
        return true;
    }

    /// <summary>One pass in id order: the matching count, their weight, and the first matches until their weight
    /// reaches the query's Take.</summary>
    public TwinIndexPage Query(TwinIndexQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        int matching = 0;
        long weight = 0, taken = 0;
        List<TwinIndexEntry>? first = null;
        foreach (var e in _entries)
        {
            if (!query.Matches(e)) continue;
            int w = query.WeightOf(e);
            if (query.WeighByAlarms && w == 0) continue;
            matching++;
            weight += w;
            if (taken < query.Take)
            {
                (first ??= []).Add(e);
                taken += w;
            }
        }
        return matching == 0 ? TwinIndexPage.Empty : new TwinIndexPage(matching, weight, first?.ToArray() ?? []);
    }

    private int IndexOf(string twinId)
    {
        int lo = 0, hi = _entries.Count - 1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            int c = string.CompareOrdinal(_entries[mid].TwinId, twinId);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }
}
