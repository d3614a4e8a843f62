using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Directory;

/// <summary>The silo's index of the twins it knows, for listing and filtering (grains cannot be enumerated).
/// Filled by the plant bootstrap (the simulated topology) and by every twin a gateway describes or feeds
/// (<see cref="DirectoryRecordingSink"/>). In memory: rebuilt on every start from the same sources.</summary>
public sealed class TwinDirectory
{
    private readonly ConcurrentDictionary<string, TwinDirectoryEntry> _twins = new(StringComparer.Ordinal);
    private volatile TwinDirectoryEntry[]? _sorted;

    /// <summary>How many twins are known.</summary>
    public int Count => _twins.Count;

    /// <summary>Adds or replaces what is known of a twin.</summary>
    public void Set(TwinDirectoryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _twins[entry.TwinId] = entry;
        _sorted = null;
    }

    /// <summary>Adds a twin heard from a gateway, unless already known.</summary>
    public bool Observe(string twinId, string? gateway)
    {
        while (true)
        {
            if (_twins.TryGetValue(twinId, out var known))
            {
                // A twin first heard of through telemetry learns its gateway from the description that follows.
                if (gateway is null || known.Gateway == gateway) return false;
                if (_twins.TryUpdate(twinId, known with { Gateway = gateway }, known)) { _sorted = null; return true; }
                continue;
            }
            if (_twins.TryAdd(twinId, new TwinDirectoryEntry(twinId, TwinKind.Equipment, null, gateway))) { _sorted = null; return gateway is not null; }
        }
    }

    /// <summary>The twins <paramref name="gateway"/> described (in this process, or before a restart as the grid catalog remembers).</summary>
    public IReadOnlyList<string> TwinsOf(string gateway)
    {
        var list = new List<string>();
        foreach (var (id, entry) in _twins)
            if (string.Equals(entry.Gateway, gateway, StringComparison.Ordinal)) list.Add(id);
        return list;
    }

    /// <summary>What is known of a twin; null when nothing.</summary>
    public TwinDirectoryEntry? Find(string twinId) => _twins.GetValueOrDefault(twinId);

    /// <summary>Every known twin, ordered by id (ordinal).</summary>
    public IReadOnlyList<TwinDirectoryEntry> All()
    {
        var sorted = _sorted;
        if (sorted is null)
        {
            sorted = [.. _twins.Values.OrderBy(e => e.TwinId, StringComparer.Ordinal)];
            _sorted = sorted;
        }
        return sorted;
    }
}
