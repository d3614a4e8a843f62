using Imv.Persistence.Sqlite.Recording;

namespace Imv.Persistence.Sqlite.Tests;

/// <summary>The writer's spans alone: from which position a restart must index rows again, as spans open, fill, go quiet
/// and are written, in any mix of twins.</summary>
public sealed class TwinSpansTests
{
    [Fact]
    public void The_first_unindexed_position_is_the_oldest_position_still_only_in_memory()
    {
        var random = new Random(12);
        var spans = new TwinSpans();
        var twins = Enumerable.Range(0, 12).Select(i => "twin-" + i).ToArray();
        var writing = new List<TwinSpans.Span>();
        long position = 1, ticks = new DateTime(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc).Ticks;
        for (int step = 0; step < 400; step++)
        {
            // A commit's entries: a few twins, some very busy (spans fill up), time moving on (spans go quiet).
            var entries = new List<TwinSpans.Entry>();
            int n = random.Next(1, 200);
            for (int i = 0; i < n; i++)
            {
                string twin = twins[random.Next(random.Next(1, twins.Length + 1))];
                ticks += random.Next(0, 3) * TimeSpan.TicksPerSecond / 10;
                entries.Add(new TwinSpans.Entry(twin, position++, ticks, 0));
            }
            spans.Add(entries.ToArray());
            Assert.Equal(Oldest(spans, twins, position), spans.UnindexedFrom(position, 0));
            if (random.Next(3) == 0)
            {
                // A commit writes the spans closed so far: those written leave memory.
                spans.TakeClosing(writing);
                long expected = Math.Min(position, OldestOpen(spans, twins, writing, position));
                Assert.Equal(expected, spans.UnindexedFrom(position, writing.Count));
                spans.Written(writing);
                Assert.Equal(Oldest(spans, twins, position), spans.UnindexedFrom(position, 0));
            }
        }
        spans.CloseAll();
        spans.TakeClosing(writing);
        spans.Written(writing);
        Assert.Equal(position, spans.UnindexedFrom(position, 0));
    }

    /// <summary>The smallest position of any twin still in memory (open or closing spans); <paramref name="next"/> if none.</summary>
    private static long Oldest(TwinSpans spans, string[] twins, long next) =>
        twins.SelectMany(t => spans.Copy(t)).Select(e => e.Position).DefaultIfEmpty(next).Min();

    /// <summary>As <see cref="Oldest"/> without the spans being written.</summary>
    private static long OldestOpen(TwinSpans spans, string[] twins, List<TwinSpans.Span> writing, long next)
    {
        var written = writing.SelectMany(s => { var l = new List<SpanEntry>(); s.CopyTo(l); return l; }).Select(e => e.Position).ToHashSet();
        return twins.SelectMany(t => spans.Copy(t)).Select(e => e.Position).Where(p => !written.Contains(p)).DefaultIfEmpty(next).Min();
    }
}
