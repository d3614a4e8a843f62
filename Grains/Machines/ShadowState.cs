using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Machines;

/// <summary>The desired side of a twin's shadow and its version (the reported side is the tag table).</summary>
[GenerateSerializer]
public sealed class ShadowState
{
    /// <summary>Desired values by tag; null until something is desired (most twins never use it).</summary>
    [Id(0)] public Dictionary<string, TagValue>? Desired { get; set; }

    /// <summary>The shadow's version: grows by one with every change of the desired side and with every
    /// ingest batch that changed a reported value.</summary>
    [Id(1)] public long Version { get; set; }

    /// <summary>Applies a desired update; false (and no change) on a version conflict.</summary>
    public bool Apply(DesiredUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        if (update.ExpectedVersion is { } expected && expected != Version) return false;
        bool changed = false;
        foreach (var (tag, value) in update.Desired)
        {
            if (value.IsNone) changed |= Desired?.Remove(tag) == true;
            else
            {
                Desired ??= new Dictionary<string, TagValue>(StringComparer.Ordinal);
                if (!Desired.TryGetValue(tag, out var old) || old != value) { Desired[tag] = value; changed = true; }
            }
        }
        if (Desired is { Count: 0 }) Desired = null;
        if (changed) Version++;
        return true;
    }

    /// <summary>The shadow document: reported (every tag with a value), desired, delta.</summary>
    public ShadowDocument Build(TagTable tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        var reported = new Dictionary<string, TagValue>(tags.Count, StringComparer.Ordinal);
        for (int i = 0; i < tags.Count; i++)
            if (tags.ReceivedTicks[i] != 0) reported[tags.Schema.Metadata[i].Name] = tags.Values[i];
        var delta = new Dictionary<string, TagValue>(StringComparer.Ordinal);
        var desired = new Dictionary<string, TagValue>(StringComparer.Ordinal);
        if (Desired is not null)
            foreach (var (tag, value) in Desired)
            {
                desired[tag] = value;
                if (!reported.TryGetValue(tag, out var r) || !ValuesMatch(r, value)) delta[tag] = value;
            }
        return new ShadowDocument(reported, desired, delta, Version);
    }

    /// <summary>Whether a reported value satisfies a wanted one: equal, or numerically equal (an integer 5 matches a double 5.0).</summary>
    public static bool ValuesMatch(TagValue reported, TagValue wanted)
    {
        if (reported == wanted) return true;
        return reported.DataType is TagDataType.Integer or TagDataType.Double or TagDataType.Boolean
            && wanted.DataType is TagDataType.Integer or TagDataType.Double or TagDataType.Boolean
            && reported.TryGetNumber(out double a) && wanted.TryGetNumber(out double b) && a == b;
    }
}
