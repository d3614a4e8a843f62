using System.Collections.Concurrent;

namespace Imv.Persistence.Recording;

/// <summary>The tag schemas (<see cref="TagSchema"/>) one recorder or reader knows: those its twins made (the writer
/// stores each, once, in the transaction of the first entry that uses it: <see cref="TakeNew"/>) and those read from the
/// recording (loaded on first use and kept). Thread-safe. Bounded (<see cref="MaxSchemas"/>): beyond it twins spell their
/// names in their entries again (version 2), and readers load what they do not keep. A twin whose tags keep changing
/// (a new name in every batch) makes a schema per new name, each a copy of the last: the bound on all the names kept
/// (<see cref="MaxNamesKept"/>) keeps such a twin from filling the memory.</summary>
internal sealed class TagSchemas
{
    /// <summary>Schemas kept at most.</summary>
    public const int MaxSchemas = 100_000;

    /// <summary>Names kept at most, over all the schemas (about 100 bytes each).</summary>
    public const int MaxNamesKept = 262_144;

    private readonly ConcurrentDictionary<UInt128, TagSchema> _known = new();
    private readonly Func<UInt128, TagSchema?>? _load;
    private readonly Lock _newLock = new();
    private readonly List<TagSchema> _new = [];
    private int _namesKept;

    /// <summary>A set that loads the schemas it does not know with <paramref name="load"/> (null when the id is not
    /// stored; throws <see cref="InvalidDataException"/> for a damaged row); none loaded when null.</summary>
    public TagSchemas(Func<UInt128, TagSchema?>? load = null) => _load = load;

    /// <summary>The schema of <paramref name="current"/>'s names followed by <paramref name="missing"/> (names not in it;
    /// sorted here, so twins that report the same tags in any order share schemas), made once per process; null when it
    /// would hold more than <see cref="TagSchema.MaxNames"/> names or the set is full.</summary>
    public TagSchema? Extend(TagSchema? current, List<string> missing)
    {
        if (IsFull) return null;
        missing.Sort(StringComparer.Ordinal);
        int distinct = 0;
        for (int i = 0; i < missing.Count; i++)
            if (i == 0 || !string.Equals(missing[i], missing[i - 1], StringComparison.Ordinal)) missing[distinct++] = missing[i];
        missing.RemoveRange(distinct, missing.Count - distinct);
        int have = current?.Count ?? 0;
        if (have + distinct > TagSchema.MaxNames) return null;
        var names = new string[have + distinct];
        current?.Names.CopyTo(names, 0);
        missing.CopyTo(names, have);
        var schema = TagSchema.Create(names, current);
        if (_known.TryGetValue(schema.Id, out var known)) return known;
        lock (_newLock)
        {
            if (_known.TryGetValue(schema.Id, out known)) return known;
            if (_namesKept + schema.Count > MaxNamesKept || _known.Count >= MaxSchemas)
            {
                IsFull = true;
                return null;
            }
            _namesKept += schema.Count;
            _known[schema.Id] = schema;
            _new.Add(schema);
        }
        return schema;
    }

    /// <summary>Whether a schema was refused because the set is full (from then on twins whose tags are not all in their
    /// schema spell their names).</summary>
    public bool IsFull { get; private set; }

    /// <summary>The writer: moves the schemas made since the last call into <paramref name="into"/>. Every entry queued
    /// before the call names a schema taken by this call or an earlier one (a schema is made before its first entry is
    /// queued).</summary>
    public void TakeNew(List<TagSchema> into)
    {
        lock (_newLock)
        {
            into.AddRange(_new);
            _new.Clear();
        }
    }

    /// <summary>The schema <paramref name="id"/> names. Throws <see cref="InvalidDataException"/> when the recording does
    /// not hold it (or holds it damaged).</summary>
    public TagSchema Get(UInt128 id)
    {
        if (_known.TryGetValue(id, out var schema)) return schema;
        schema = _load?.Invoke(id) ?? throw new InvalidDataException($"the entry names tag schema {TagSchema.Format(id)}, which the recording does not hold");
        if (schema.Id != id) throw new InvalidDataException($"tag schema {TagSchema.Format(id)} was read as {TagSchema.Format(schema.Id)}");
        lock (_newLock)
            if (_namesKept + schema.Count <= MaxNamesKept && _known.Count < MaxSchemas && _known.TryAdd(id, schema)) _namesKept += schema.Count;
        return schema;
    }
}
