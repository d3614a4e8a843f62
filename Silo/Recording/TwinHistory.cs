using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Recording;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;
using Imv.Persistence.Recording;

namespace Imv.Silo.Recording;

/// <summary>Questions asked of the plant recording: a twin as it was at an instant, and a tag's values over a
/// range (downsampled when more points exist than asked). Plain reads of <see cref="IRecordingReader"/>.</summary>
public static class TwinHistory
{
    private const int MaxCommands = 100;

    /// <summary>How far before the instant the commands of a twin as of then are looked for (once every tag is found).</summary>
    public static readonly TimeSpan CommandLookback = TimeSpan.FromMinutes(1);

    /// <summary>Reconstructs the twin at <paramref name="at"/> by reading its recording backwards from there until
    /// every tag in <paramref name="tagNames"/> is found (or the recording's start). Alarm levels are those of the
    /// configured bands at the values then (a band's deadband hysteresis is not replayed). Without
    /// <paramref name="commands"/> no command is looked for: the read stops at the entry where the last tag is found.</summary>
    public static async Task<TwinAsOf> AsOfAsync(IRecordingReader recorder, string twinId, DateTimeOffset at, (DateTimeOffset First, DateTimeOffset Last) range,
        IReadOnlyCollection<string> tagNames, IReadOnlyList<AlarmBand>? bands, bool commands = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(tagNames);
        var tags = new Dictionary<string, TagAsOf>(StringComparer.Ordinal);
        var known = new Dictionary<string, CommandAsOf>(StringComparer.Ordinal);
        var commandOrder = new List<string>();
        await foreach (var entry in recorder.ReadAsync(twinId, range.First, at, newestFirst: true, cancellationToken).ConfigureAwait(false))
        {
            if (entry.Command is { } c)
            {
                if (commands && known.Count < MaxCommands && !known.ContainsKey(c.CommandId))
                {
                    known[c.CommandId] = new CommandAsOf(c.CommandId, c.IssuerKind, c.Issuer, c.Tag, c.Method, c.Status, c.Reason, entry.At);
                    commandOrder.Add(c.CommandId);
                }
                continue;
            }
            // Newest first: within one entry the last reading of a tag is the newest.
            for (int i = entry.Readings.Count - 1; i >= 0; i--)
            {
                var r = entry.Readings[i];
                if (!tags.ContainsKey(r.Tag)) tags[r.Tag] = new TagAsOf(r.Tag, r.Value, r.Quality, r.SourceTimestamp, entry.At, r.Sequence, AlarmLevel.None);
            }
            // Every tag found: the commands are those that moved within CommandLookback before the instant.
            if (tagNames.Count > 0 && tags.Count >= tagNames.Count && tagNames.All(tags.ContainsKey)
                && (!commands || known.Count >= MaxCommands || entry.At < at - CommandLookback)) break;
        }
        var alarms = new List<AlarmAsOf>();
        var list = new List<TagAsOf>(tags.Count);
        foreach (var t in tags.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            var level = AlarmLevel.None;
            if (bands?.FirstOrDefault(b => string.Equals(b.Tag, t.Name, StringComparison.Ordinal)) is { } band
                && t.Quality != TagQuality.Bad && t.Value.TryGetNumber(out double number))
            {
                level = AlarmEvaluator.Evaluate(number, AlarmLevel.None, band);
                if (level != AlarmLevel.None) alarms.Add(new AlarmAsOf(t.Name, level, number));
            }
            list.Add(t with { Alarm = level });
        }
        return new TwinAsOf(twinId, at, range.First, range.Last, list, alarms,
            list.ToDictionary(t => t.Name, t => t.Value, StringComparer.Ordinal), commandOrder.Select(id => known[id]).ToList());
    }

    /// <summary>The readings of <paramref name="tag"/> accepted between <paramref name="from"/> and <paramref name="to"/>
    /// (by when the twin accepted them), as they are when at most <paramref name="maxPoints"/>, else in
    /// <paramref name="maxPoints"/> equal time buckets. Null when none was recorded.</summary>
    public static async Task<TagHistory?> SeriesAsync(IRecordingReader recorder, string twinId, string tag, DateTimeOffset from, DateTimeOffset to, int maxPoints,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        // Buckets of a minute or more: the recording's minutes stand for the readings of each whole minute in the range,
        // only the range's ends (and the minute still open) are read reading by reading.
        if ((to - from).Ticks / Math.Max(1, maxPoints) >= TimeSpan.TicksPerMinute)
        {
            var minutes = await recorder.ReadMinutesAsync(twinId, tag, from, to, cancellationToken).ConfigureAwait(false);
            if (minutes.Count > 0)
            {
                var firstMinute = new DateTimeOffset(minutes[0].Start, TimeSpan.Zero);
                var afterLast = new DateTimeOffset(minutes[^1].Start + TimeSpan.TicksPerMinute, TimeSpan.Zero);
                var parts = new List<Part>(minutes.Count + 256);
                foreach (var (ticks, value) in await recorder.ReadTagAsync(twinId, tag, from, firstMinute.AddTicks(-1), cancellationToken).ConfigureAwait(false)) parts.Add(Part.Of(ticks, value));
                foreach (var m in minutes) parts.Add(new Part(m.Start, m.Count, m.Numbers, m.Min, m.Max, m.Sum, m.Last));
                foreach (var (ticks, value) in await recorder.ReadTagAsync(twinId, tag, afterLast, to, cancellationToken).ConfigureAwait(false)) parts.Add(Part.Of(ticks, value));
                return Downsample(twinId, tag, from, to, maxPoints, parts);
            }
        }
        var points = await recorder.ReadTagAsync(twinId, tag, from, to, cancellationToken).ConfigureAwait(false);
        if (points.Count == 0) return null;
        if (points.Count <= maxPoints)
            return new TagHistory(twinId, tag, from, to, maxPoints, points.Count, false,
                points.Select(p => new HistoryPoint(new DateTimeOffset(p.SourceTicks, TimeSpan.Zero), p.Value, null, null, null, 1)).ToList());
        return Downsample(twinId, tag, from, to, maxPoints, points.ConvertAll(p => Part.Of(p.SourceTicks, p.Value)));
    }

    /// <summary>Cuts the span of <paramref name="parts"/> into <paramref name="maxPoints"/> equal buckets.</summary>
    private static TagHistory Downsample(string twinId, string tag, DateTimeOffset from, DateTimeOffset to, int maxPoints, List<Part> parts)
    {
        long start = parts.Min(p => p.Ticks), end = parts.Max(p => p.Ticks);
        double width = Math.Max(1, (end - start + 1) / (double)maxPoints);
        var buckets = new Bucket?[maxPoints];
        long readings = 0;
        foreach (var part in parts)
        {
            int b = Math.Min(maxPoints - 1, (int)((part.Ticks - start) / width));
            var bucket = buckets[b] ??= new Bucket();
            bucket.Count += (int)part.Count;
            readings += part.Count;
            bucket.Last = part.Last;
            if (part.Numbers > 0)
            {
                bucket.Numbers += (int)part.Numbers;
                bucket.Sum += part.Sum;
                bucket.Min = Math.Min(bucket.Min, part.Min);
                bucket.Max = Math.Max(bucket.Max, part.Max);
            }
        }
        var result = new List<HistoryPoint>(maxPoints);
        for (int b = 0; b < maxPoints; b++)
        {
            if (buckets[b] is not { } k) continue;
            var t = new DateTimeOffset(start + (long)(b * width), TimeSpan.Zero);
            result.Add(k.Numbers > 0
                ? new HistoryPoint(t, k.Last, k.Min, k.Max, k.Sum / k.Numbers, k.Count)
                : new HistoryPoint(t, k.Last, null, null, null, k.Count));
        }
        return new TagHistory(twinId, tag, from, to, maxPoints, (int)Math.Min(int.MaxValue, readings), true, result);
    }

    /// <summary>A reading, or a recorded minute of readings.</summary>
    private readonly record struct Part(long Ticks, long Count, long Numbers, double Min, double Max, double Sum, TagValue Last)
    {
        public static Part Of(long ticks, TagValue value) => value.TryGetNumber(out double n) && double.IsFinite(n)
            ? new Part(ticks, 1, 1, n, n, n, value)
            : new Part(ticks, 1, 0, 0, 0, 0, value);
    }

    private sealed class Bucket
    {
        public int Count, Numbers;
        public double Sum, Min = double.PositiveInfinity, Max = double.NegativeInfinity;
        public TagValue Last;
    }
}
