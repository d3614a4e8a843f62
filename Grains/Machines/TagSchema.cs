using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Grains.Machines;

/// <summary>The tag names, metadata and alarm bands of a twin, immutable and shared by every twin with the
/// same ones (interned): 100,000 twins of 50 machine types hold 50 schemas, not 100,000 dictionaries.</summary>
public sealed class TagSchema
{
    /// <summary>The most schemas kept interned.</summary>
    public const int MaxInterned = 50_000;

    private static readonly ConcurrentDictionary<SchemaKey, TagSchema> Interned = new();
    private readonly Dictionary<string, int> _index;

    private TagSchema(TagMetadata[] metadata, AlarmBand?[] bands)
    {
        Metadata = metadata;
        Bands = bands;
        _index = new Dictionary<string, int>(metadata.Length, StringComparer.Ordinal);
        for (int i = 0; i < metadata.Length; i++) _index[metadata[i].Name] = i;
        HasBands = Array.Exists(bands, b => b is not null);
    }

    /// <summary>The schema without tags.</summary>
    public static TagSchema Empty { get; } = Intern([], []);

    /// <summary>Metadata by tag index. Never mutate: shared.</summary>
    public TagMetadata[] Metadata { get; }

    /// <summary>Alarm band by tag index; null where none. Never mutate: shared.</summary>
    public AlarmBand?[] Bands { get; }

    /// <summary>True when some tag has an alarm band.</summary>
    public bool HasBands { get; }

    /// <summary>How many tags.</summary>
    public int Count => Metadata.Length;

    /// <summary>How many distinct schemas are interned (for diagnostics and tests).</summary>
    public static int InternedCount => Interned.Count;

    /// <summary>The index of a tag; -1 when unknown.</summary>
    public int IndexOf(string name) => _index.TryGetValue(name, out int i) ? i : -1;

    /// <summary>The shared schema with these tags and bands.</summary>
    public static TagSchema Intern(TagMetadata[] metadata, AlarmBand?[] bands)
    {
        var key = new SchemaKey(metadata, bands);
        if (Interned.TryGetValue(key, out var existing)) return existing;
        // Bounded: twins that learn tags in varying orders would otherwise intern every intermediate schema
        // forever. Beyond the bound a schema is private to its twin (correct, only less compact).
        if (Interned.Count >= MaxInterned) return new TagSchema(metadata, bands);
        return Interned.GetOrAdd(key, static k => new TagSchema(k.Metadata, k.Bands));
    }

    /// <summary>This schema with one more tag (appended).</summary>
    public TagSchema WithTag(TagMetadata tag)
    {
        var metadata = new TagMetadata[Metadata.Length + 1];
        Metadata.CopyTo(metadata, 0);
        metadata[^1] = tag;
        var bands = new AlarmBand?[metadata.Length];
        Bands.CopyTo(bands, 0);
        return Intern(metadata, bands);
    }

    /// <summary>This schema with a tag's metadata replaced.</summary>
    public TagSchema WithMetadata(int index, TagMetadata tag)
    {
        if (Metadata[index] == tag) return this;
        var metadata = (TagMetadata[])Metadata.Clone();
        metadata[index] = tag;
        return Intern(metadata, Bands);
    }

    /// <summary>This schema with the given alarm bands (tags without one have none).</summary>
    public TagSchema WithBands(IReadOnlyList<AlarmBand>? bands)
    {
        var aligned = new AlarmBand?[Metadata.Length];
        if (bands is not null)
            foreach (var band in bands)
            {
                int i = IndexOf(band.Tag);
                if (i >= 0) aligned[i] = band;
            }
        return Intern(Metadata, aligned);
    }

    private readonly struct SchemaKey(TagMetadata[] metadata, AlarmBand?[] bands) : IEquatable<SchemaKey>
    {
        public TagMetadata[] Metadata { get; } = metadata;
        public AlarmBand?[] Bands { get; } = bands;

        public bool Equals(SchemaKey other) =>
            Metadata.AsSpan().SequenceEqual(other.Metadata) && Bands.AsSpan().SequenceEqual(other.Bands);

        public override bool Equals(object? obj) => obj is SchemaKey k && Equals(k);

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var m in Metadata) hash.Add(m);
            foreach (var b in Bands) hash.Add(b);
            return hash.ToHashCode();
        }
    }
}
