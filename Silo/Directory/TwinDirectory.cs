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
    public void Observe(string twinId, string? gateway)
    {
        if (_twins.ContainsKey(twinId)) return;
        if (_twins.TryAdd(twinId, new TwinDirectoryEntry(twinId, TwinKind.Equipment, null, gateway))) _sorted = null;
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
