using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Recording;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;
using Imv.Persistence.Sqlite.Recording;

namespace Imv.Silo.Recording;

/// <summary>Questions asked of the plant recording: a twin as it was at an instant, and a tag's values over a
/// range (downsampled when more points exist than asked). Plain reads of <see cref="SqliteTwinRecorder"/>.</summary>
public static class TwinHistory
{
    private const int MaxCommands = 100;

    /// <summary>Reconstructs the twin at <paramref name="at"/> by reading its recording backwards from there until
    /// every tag in <paramref name="tagNames"/> is found (or the recording's start). Alarm levels are those of the
    /// configured bands at the values then (a band's deadband hysteresis is not replayed).</summary>
    public static TwinAsOf AsOf(SqliteTwinRecorder recorder, string twinId, DateTimeOffset at, (DateTimeOffset First, DateTimeOffset Last) range,
        IReadOnlyCollection<string> tagNames, IReadOnlyList<AlarmBand>? bands)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        ArgumentNullException.ThrowIfNull(tagNames);
        var tags = new Dictionary<string, TagAsOf>(StringComparer.Ordinal);
        var commands = new Dictionary<string, CommandAsOf>(StringComparer.Ordinal);
        var commandOrder = new List<string>();
        foreach (var entry in recorder.Read(twinId, range.First, at, newestFirst: true))
        {
            if (entry.Command is { } c)
            {
                if (commands.Count < MaxCommands && !commands.ContainsKey(c.CommandId))
                {
                    commands[c.CommandId] = new CommandAsOf(c.CommandId, c.IssuerKind, c.Issuer, c.Tag, c.Method, c.Status, c.Reason, entry.At);
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
            if (tagNames.Count > 0 && tags.Count >= tagNames.Count && tagNames.All(tags.ContainsKey) && commands.Count >= MaxCommands) break;
            if (tagNames.Count > 0 && tags.Count >= tagNames.Count && tagNames.All(tags.ContainsKey) && entry.At < at - TimeSpan.FromHours(1)) break;
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
            list.ToDictionary(t => t.Name, t => t.Value, StringComparer.Ordinal), commandOrder.Select(id => commands[id]).ToList());
    }

    /// <summary>The readings of <paramref name="tag"/> accepted between <paramref name="from"/> and <paramref name="to"/>
    /// (by when the twin accepted them), as they are when at most <paramref name="maxPoints"/>, else in
    /// <paramref name="maxPoints"/> equal time buckets. Null when none was recorded.</summary>
    public static TagHistory? Series(SqliteTwinRecorder recorder, string twinId, string tag, DateTimeOffset from, DateTimeOffset to, int maxPoints)
    {
        ArgumentNullException.ThrowIfNull(recorder);
        var points = new List<(DateTimeOffset At, TagValue Value)>();
        foreach (var entry in recorder.Read(twinId, from, to))
            foreach (var r in entry.Readings)
                if (string.Equals(r.Tag, tag, StringComparison.Ordinal)) points.Add((r.SourceTimestamp, r.Value));
        if (points.Count == 0) return null;
        if (points.Count <= maxPoints)
            return new TagHistory(twinId, tag, from, to, maxPoints, points.Count, false,
                points.Select(p => new HistoryPoint(p.At, p.Value, null, null, null, 1)).ToList());
        long start = points.Min(p => p.At.UtcTicks), end = points.Max(p => p.At.UtcTicks);
        double width = Math.Max(1, (end - start + 1) / (double)maxPoints);
        var buckets = new Bucket?[maxPoints];
        foreach (var (pointAt, value) in points)
        {
            int b = Math.Min(maxPoints - 1, (int)((pointAt.UtcTicks - start) / width));
            var bucket = buckets[b] ??= new Bucket();
            bucket.Count++;
            bucket.Last = value;
            if (value.TryGetNumber(out double n))
            {
                bucket.Numbers++;
                bucket.Sum += n;
                bucket.Min = Math.Min(bucket.Min, n);
                bucket.Max = Math.Max(bucket.Max, n);
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
        return new TagHistory(twinId, tag, from, to, maxPoints, points.Count, true, result);
    }

    private sealed class Bucket
    {
        public int Count, Numbers;
        public double Sum, Min = double.PositiveInfinity, Max = double.NegativeInfinity;
        public TagValue Last;
    }
}
