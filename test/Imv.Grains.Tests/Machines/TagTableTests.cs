using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;
using Xunit;

namespace Imv.Grains.Tests.Machines;

[Collection(Imv.Grains.Tests.Support.MemoryMeasurementCollection.Name)]
public class TagTableTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static TagUpdate U(string tag, double v, int sec, long seq = 0, TagQuality q = TagQuality.Good) =>
        new(tag, TagValue.FromDouble(v), q, T0.AddSeconds(sec), seq);

    private static IngestResult Ingest(TagTable t, params TagUpdate[] u)
    {
        List<AlarmEvent>? events = null;
        return t.Ingest(u, T0.AddSeconds(100), "m1", ref events);
    }

    [Fact]
    public void Newest_reading_wins_older_is_stale_same_is_duplicate()
    {
        var t = new TagTable();
        Assert.Equal(new IngestResult(1, 0, 0, 0), Ingest(t, U("temp", 1, 10, 5)));
        Assert.Equal(new IngestResult(0, 1, 0, 0), Ingest(t, U("temp", 2, 9, 9)));          // older timestamp
        Assert.Equal(new IngestResult(0, 1, 0, 0), Ingest(t, U("temp", 2, 10, 4)));         // same ts, lower seq
        Assert.Equal(new IngestResult(0, 0, 1, 0), Ingest(t, U("temp", 1, 10, 5)));         // duplicate
        Assert.Equal(new IngestResult(1, 0, 0, 0), Ingest(t, U("temp", 3, 10, 6)));         // same ts, higher seq
        Assert.Equal(3.0, t.Values[t.IndexOf("temp")].AsDouble());
        Assert.Equal(2, t.AppliedCount);
        Assert.Equal(2, t.StaleCount);
        Assert.Equal(1, t.DuplicateCount);
    }

    [Fact]
    public void Within_one_batch_the_newest_wins_whatever_the_order()
    {
        var t = new TagTable();
        var r = Ingest(t, U("a", 3, 30), U("a", 1, 10), U("a", 2, 20));
        Assert.Equal(new IngestResult(1, 2, 0, 0), r);
        Assert.Equal(3.0, t.Values[0].AsDouble());
    }

    [Fact]
    public void Unknown_tags_are_learned_and_type_mismatches_rejected()
    {
        var t = new TagTable();
        t.Describe([new TagMetadata("speed", TagDataType.Double), new TagMetadata("run", TagDataType.Boolean)], null);
        var r = Ingest(t,
            new TagUpdate("speed", TagValue.FromInteger(7), TagQuality.Good, T0, 1),      // integer widens to double
            new TagUpdate("run", TagValue.FromString("yes"), TagQuality.Good, T0, 1),     // wrong type
            new TagUpdate("name", TagValue.FromString("press"), TagQuality.Good, T0, 1),  // learned
            new TagUpdate("arr", TagValue.FromArray(new long[] { 1, 2 }), TagQuality.Good, T0, 1));
        Assert.Equal(new IngestResult(3, 0, 0, 1), r);
        Assert.Equal(7.0, t.Values[t.IndexOf("speed")].AsDouble());
        Assert.Equal(TagDataType.String, t.Schema.Metadata[t.IndexOf("name")].DataType);
        Assert.False(t.Schema.Metadata[t.IndexOf("name")].Writable);
        Assert.Equal(TagValue.FromArray(new long[] { 1, 2 }), t.Values[t.IndexOf("arr")]);
    }

    [Fact]
    public void Quality_turns_uncertain_past_expected_period_and_follows_connectivity()
    {
        var t = new TagTable();
        t.Describe([new TagMetadata("p", TagDataType.Double, ExpectedPeriod: TimeSpan.FromSeconds(5))], null);
        List<AlarmEvent>? ev = null;
        t.Ingest([U("p", 1, 0)], T0, "m1", ref ev);
        Assert.Equal(TagQuality.Good, t.EffectiveQuality(0, T0.AddSeconds(5)));
        Assert.Equal(TagQuality.Uncertain, t.EffectiveQuality(0, T0.AddSeconds(6)));
        var snap = t.Snapshot(0, T0.AddSeconds(6));
        Assert.Equal(TimeSpan.FromSeconds(6), snap.Staleness);
        t.SetConnectivity(TwinConnectivity.Reconnecting);
        Assert.Equal(TagQuality.Uncertain, t.EffectiveQuality(0, T0));
        t.SetConnectivity(TwinConnectivity.Offline);
        Assert.Equal(TagQuality.Bad, t.EffectiveQuality(0, T0));
        t.Ingest([U("p", 2, 1)], T0.AddSeconds(1), "m1", ref ev);
        Assert.Equal(TagQuality.Good, t.EffectiveQuality(0, T0.AddSeconds(1)));
    }

    [Fact]
    public void Alarm_events_are_raised_and_cleared_with_deadband()
    {
        var t = new TagTable();
        t.Describe([new TagMetadata("temp", TagDataType.Double)], null);
        t.SetBands([new AlarmBand("temp", LowLow: 0, Low: 10, High: 80, HighHigh: 90, Deadband: 2)]);
        var all = new List<AlarmEvent>();
        void Feed(double v, int s)
        {
            List<AlarmEvent>? ev = null;
            t.Ingest([U("temp", v, s)], T0.AddSeconds(s), "m1", ref ev);
            if (ev is not null) all.AddRange(ev);
        }
        Feed(50, 1);
        Assert.Empty(all);
        Feed(81, 2);
        Assert.Single(all);
        Assert.Equal((AlarmLevel.High, true), (all[0].Level, all[0].Raised));
        Assert.Equal(T0.AddSeconds(2), all[0].Timestamp);
        Feed(79, 3);                     // inside deadband: stays High
        Assert.Single(all);
        Assert.Equal(AlarmLevel.High, Assert.Single(t.ActiveAlarms()).Level);
        Feed(95, 4);                     // escalates: High cleared, HighHigh raised
        Assert.Equal(3, all.Count);
        Assert.Equal((AlarmLevel.High, false), (all[1].Level, all[1].Raised));
        Assert.Equal((AlarmLevel.HighHigh, true), (all[2].Level, all[2].Raised));
        Feed(77, 5);                     // below 80-2: clears entirely
        Assert.Equal(4, all.Count);
        Assert.Equal((AlarmLevel.HighHigh, false), (all[3].Level, all[3].Raised));
        Assert.Empty(t.ActiveAlarms());
        Feed(-1, 6);
        Assert.Equal((AlarmLevel.LowLow, true), (all[4].Level, all[4].Raised));
        Assert.Equal(T0.AddSeconds(6), Assert.Single(t.ActiveAlarms()).RaisedAt);
    }

    [Fact]
    public void A_band_configured_before_its_tag_is_learned_applies_once_it_is()
    {
        var t = new TagTable();
        t.SetBands([new AlarmBand("late", High: 5)]);
        List<AlarmEvent>? ev = null;
        t.Ingest([U("late", 6, 1)], T0, "m1", ref ev);
        Assert.Equal(AlarmLevel.High, Assert.Single(ev!).Level);
        t.Describe([new TagMetadata("later", TagDataType.Double)], null);
        Assert.NotNull(t.Schema.Bands[t.IndexOf("late")]);
    }

    [Fact]
    public void Metadata_stored_apart_fits_the_value_arrays_on_load()
    {
        var t = new TagTable();
        Ingest(t, U("a", 1, 1), U("b", 2, 1), U("c", 3, 1));
        var loaded = new TagTable { Values = t.Values, SourceTicks = t.SourceTicks, ReceivedTicks = t.ReceivedTicks, Sequences = t.Sequences, Qualities = t.Qualities };
        loaded.Metadata = t.Schema.Metadata[..2];          // the metadata of "c" was never stored
        Assert.Equal(2, loaded.Values.Length);
        Assert.Equal(2.0, loaded.Values[loaded.IndexOf("b")].AsDouble());
        loaded.Metadata = [.. t.Schema.Metadata, new TagMetadata("d", TagDataType.Double)];
        Assert.Equal(4, loaded.Values.Length);
        Assert.Equal(TagQuality.Bad, loaded.EffectiveQuality(loaded.IndexOf("d"), T0));
    }

    [Fact]
    public void Tick_columns_pack_to_small_deltas_and_back()
    {
        long[] ticks = [T0.UtcTicks, T0.UtcTicks, T0.UtcTicks + 10, 0, T0.UtcTicks - 5];
        var packed = TagTable.Pack(ticks);
        Assert.Equal([T0.UtcTicks, 0, 10, -(T0.UtcTicks + 10), T0.UtcTicks - 5], packed);
        Assert.Equal(ticks, TagTable.Unpack(packed));
        Assert.Empty(TagTable.Unpack(null));
    }

    [Fact]
    public void A_batch_of_new_tags_is_learned_in_batch_order_and_newest_wins_among_repeats()
    {
        var t = new TagTable();
        var r = Ingest(t, U("x", 1, 1), U("y", 2, 1), U("x", 3, 2), U("z", 4, 1));
        Assert.Equal(new IngestResult(4, 0, 0, 0), r);
        Assert.Equal(["x", "y", "z"], t.Schema.Metadata.Select(m => m.Name));
        Assert.Equal(3.0, t.Values[t.IndexOf("x")].AsDouble());
        Assert.Equal(3, t.Values.Length);
    }

    [Fact]
    public void Alarm_band_evaluation_edges()
    {
        var band = new AlarmBand("x", Low: 10, High: 20, Deadband: 1);
        Assert.Equal(AlarmLevel.High, AlarmEvaluator.Evaluate(20, AlarmLevel.None, band));
        Assert.Equal(AlarmLevel.None, AlarmEvaluator.Evaluate(19.99, AlarmLevel.None, band));
        Assert.Equal(AlarmLevel.High, AlarmEvaluator.Evaluate(19.5, AlarmLevel.High, band));
        Assert.Equal(AlarmLevel.None, AlarmEvaluator.Evaluate(19, AlarmLevel.High, band));
        Assert.Equal(AlarmLevel.Low, AlarmEvaluator.Evaluate(10.5, AlarmLevel.Low, band));
        Assert.Equal(AlarmLevel.None, AlarmEvaluator.Evaluate(11, AlarmLevel.Low, band));
        Assert.Equal(AlarmLevel.Low, AlarmEvaluator.Evaluate(5, AlarmLevel.High, band));
        Assert.Throws<ArgumentException>(() => AlarmEvaluator.Validate(new AlarmBand("x", Low: 20, High: 10)));
        Assert.Throws<ArgumentException>(() => AlarmEvaluator.Validate(new AlarmBand("x", High: 10, Deadband: -1)));
    }

    [Fact]
    public void Schemas_are_shared_between_twins_with_the_same_tags()
    {
        TagMetadata[] tags = [new("a", TagDataType.Double, "degC"), new("b", TagDataType.Boolean, Writable: true)];
        var t1 = new TagTable();
        var t2 = new TagTable();
        t1.Describe(tags, null);
        t2.Describe(tags.Select(m => m with { }).ToArray(), null);
        Assert.Same(t1.Schema, t2.Schema);
        Assert.Equal(2, t1.Values.Length);
    }

    [Fact]
    public void Idle_twin_with_20_tags_stays_small()
    {
        var tags = Enumerable.Range(0, 20).Select(i => new TagMetadata("tag" + i, TagDataType.Double)).ToArray();
        var batch = tags.Select((m, i) => new TagUpdate(m.Name, TagValue.FromDouble(i), TagQuality.Good, T0, 1)).ToArray();
        var warm = new TagTable();
        warm.Describe(tags, null);
        List<AlarmEvent>? ev = null;
        warm.Ingest(batch, T0, "m1", ref ev);
        var tables = new TagTable[1000];
        long before = GC.GetTotalMemory(true);
        for (int n = 0; n < tables.Length; n++)
        {
            tables[n] = new TagTable();
            tables[n].Describe(tags, null);
            tables[n].Ingest(batch, T0, "m1", ref ev);
        }
        long total = (GC.GetTotalMemory(true) - before) / tables.Length;
        GC.KeepAlive(tables);
        var batch2 = batch.Select(u => u with { Sequence = 2 }).ToArray();
        long beforeIngest = GC.GetAllocatedBytesForCurrentThread();
        warm.Ingest(batch2, T0, "m1", ref ev);
        long ingestBytes = GC.GetAllocatedBytesForCurrentThread() - beforeIngest;
        Assert.True(ingestBytes == 0, $"ingest allocated {ingestBytes} bytes");
        Assert.True(total < 2048, $"table with 20 tags retains {total} bytes");
    }
}
