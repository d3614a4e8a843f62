using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Imv.Persistence.Sqlite.Recording;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Persistence.Sqlite.Tests;

public sealed class RecordingTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private RecordingOptions Options(Action<RecordingOptions>? change = null)
    {
        var o = new RecordingOptions { Path = _dir.File("grid.recording.db"), FlushInterval = TimeSpan.FromMilliseconds(20) };
        change?.Invoke(o);
        return o;
    }

    private static SqliteTwinRecorder Open(RecordingOptions options) => new(options, NullLogger<SqliteTwinRecorder>.Instance);

    private static TagUpdate Reading(string tag, double value, DateTimeOffset at, long seq = 1) =>
        new(tag, TagValue.FromDouble(value), TagQuality.Good, at, seq);

    private static CommandRecord Command(string id, CommandDeliveryStatus status, DateTimeOffset at) => new(
        new CommandEnvelope(id, IssuerKind.Avatar, "ann", "m1", "setpoint", null, TagValue.FromDouble(7), [], at, at.AddSeconds(30)),
        status, status == CommandDeliveryStatus.Rejected ? "plant: no" : null, [new CommandTransition(status, at, null)]);

    [Fact]
    public async Task A_tag_is_read_alone_and_each_minute_it_ended_is_rolled_up_with_count_min_max_sum_and_last_value()
    {
        var options = Options();
        await using (var recorder = Open(options))
        {
            // Three minutes of one reading every 10 s (a string tag among them), the third left open until the recorder closes.
            for (int s = 0; s < 180; s += 10)
            {
                var at = T0.AddSeconds(s);
                recorder.RecordReadings("m1", at, [new TagUpdate("state", TagValue.FromString("Running"), TagQuality.Good, at, s), Reading("temp", s, at, s)], default);
            }
            await recorder.FlushAsync();
            var temp = recorder.ReadTag("m1", "temp", T0, T0.AddMinutes(3));
            Assert.Equal(Enumerable.Range(0, 18).Select(i => i * 10.0), temp.Select(p => p.Value.AsDouble()));
            Assert.Equal(T0.AddSeconds(170).UtcTicks, temp[^1].SourceTicks);
            Assert.Equal("Running", recorder.ReadTag("m1", "state", T0, T0).Single().Value.AsString());
            // Minutes 0 and 1 ended when minute 2 began; minute 2 is still open.
            var minutes = recorder.ReadMinutes("m1", "temp", T0, T0.AddMinutes(3));
            Assert.Equal([T0.UtcTicks, T0.AddMinutes(1).UtcTicks], minutes.Select(m => m.Start));
            Assert.Equal(6, minutes[1].Count);
            Assert.Equal((60.0, 110.0, 510.0), (minutes[1].Min, minutes[1].Max, minutes[1].Sum));
            Assert.Equal(110, minutes[1].Last.AsDouble());
            Assert.Equal(0, recorder.ReadMinutes("m1", "state", T0, T0.AddMinutes(1)).Single().Numbers);
        }
        // Closing wrote the open minute.
        await using var reopened = Open(options);
        Assert.Equal(3, reopened.ReadMinutes("m1", "temp", T0, T0.AddMinutes(3)).Count);
        Assert.Equal(170, reopened.ReadMinutes("m1", "temp", T0, T0.AddMinutes(3))[2].Max);
    }

    [Fact]
    public async Task A_minute_s_last_value_is_the_last_reading_s_of_any_type_and_only_numbers_count_into_min_max_and_sum()
    {
        var options = Options();
        await using (var recorder = Open(options))
        {
            TagUpdate U(string tag, TagValue v, int s) => new(tag, v, TagQuality.Good, T0.AddSeconds(s), s);
            // One tag first, so that the twin's slots grow after a string was kept; a tag changing type in the minute.
            recorder.RecordReadings("m1", T0, [U("mixed", TagValue.FromString("starting"), 0)], default);
            recorder.RecordReadings("m1", T0.AddSeconds(10), [U("mixed", TagValue.FromDouble(2.5), 10), U("count", TagValue.FromInteger(-4), 10),
                U("on", TagValue.FromBoolean(true), 10), U("text", TagValue.FromString("a"), 10), U("arr", TagValue.FromArray(new[] { 1L, 2L }), 10),
                U("gone", TagValue.FromDouble(9), 10)], default);
            recorder.RecordReadings("m1", T0.AddSeconds(20), [U("mixed", TagValue.FromInteger(7), 20), U("count", TagValue.FromInteger(3), 20),
                U("on", TagValue.FromBoolean(false), 20), U("text", TagValue.FromString("b"), 20), U("arr", TagValue.FromArray(new[] { "x" }), 20),
                U("gone", TagValue.None, 20)], default);
            recorder.RecordReadings("m1", T0.AddSeconds(30), [U("mixed", TagValue.FromString("stopped"), 30)], default);
            // The next minute ends this one.
            recorder.RecordReadings("m1", T0.AddSeconds(70), [U("mixed", TagValue.FromDouble(1), 70)], default);
            await recorder.FlushAsync();
        }
        await using var reopened = Open(options);
        RecordedMinute Minute(string tag) => reopened.ReadMinutes("m1", tag, T0, T0.AddMinutes(1)).Single();
        var mixed = Minute("mixed");
        Assert.Equal((4L, 2L, 2.5, 7.0, 9.5), (mixed.Count, mixed.Numbers, mixed.Min, mixed.Max, mixed.Sum));
        Assert.Equal(TagValue.FromString("stopped"), mixed.Last);
        Assert.Equal(T0.AddSeconds(30).UtcTicks, mixed.LastTicks);
        Assert.Equal((2L, -4.0, 3.0, -1.0), (Minute("count").Numbers, Minute("count").Min, Minute("count").Max, Minute("count").Sum));
        Assert.Equal(TagValue.FromInteger(3), Minute("count").Last);
        Assert.Equal((2L, 0.0, 1.0), (Minute("on").Numbers, Minute("on").Min, Minute("on").Max));
        Assert.Equal(TagValue.FromBoolean(false), Minute("on").Last);
        Assert.Equal((2L, 0L, TagValue.FromString("b")), (Minute("text").Count, Minute("text").Numbers, Minute("text").Last));
        Assert.Equal(TagValue.FromArray(new[] { "x" }), Minute("arr").Last);
        Assert.Equal((2L, 1L, 9.0), (Minute("gone").Count, Minute("gone").Numbers, Minute("gone").Max));
        Assert.True(Minute("gone").Last.IsNone);
        // The open minute, written when the recorder closed.
        Assert.Equal(TagValue.FromDouble(1), reopened.ReadMinutes("m1", "mixed", T0.AddMinutes(1), T0.AddMinutes(2)).Single().Last);
    }

    [Fact]
    public async Task Minutes_are_kept_for_many_tags_in_any_order_and_a_quiet_twin_s_minutes_end_while_others_go_on()
    {
        var options = Options();
        await using var recorder = Open(options);
        var tags = Enumerable.Range(0, 25).Select(i => $"t{i:00}").ToArray();
        // m1: 25 tags, sent in a different order each time, some readings refused; then quiet after minute 0.
        for (int s = 0; s < 60; s += 10)
        {
            var at = T0.AddSeconds(s);
            var order = s % 20 == 0 ? tags : tags.Reverse().ToArray();
            var accepted = order.Select((_, i) => i % 7 != 3).ToArray();
            recorder.RecordReadings("m1", at, order.Select(t => Reading(t, s + int.Parse(t[1..], System.Globalization.CultureInfo.InvariantCulture), at, s)).ToArray(), accepted);
        }
        // m2 goes on for three more minutes: m1's minute 0 ends without m1 sending again.
        for (int s = 0; s < 240; s += 10)
            recorder.RecordReadings("m2", T0.AddSeconds(s), [Reading("speed", s, T0.AddSeconds(s), s)], default);
        await recorder.FlushAsync();
        foreach (var tag in tags)
        {
            int n = int.Parse(tag[1..], System.Globalization.CultureInfo.InvariantCulture);
            var expected = Enumerable.Range(0, 6).Select(k => k * 10)
                .Where(s => Array.IndexOf(s % 20 == 0 ? tags : tags.Reverse().ToArray(), tag) % 7 != 3).Select(s => (double)(s + n)).ToList();
            var minute = recorder.ReadMinutes("m1", tag, T0, T0.AddMinutes(1)).Single();
            Assert.Equal(expected.Count, minute.Count);
            Assert.Equal((expected.Min(), expected.Max(), expected.Sum()), (minute.Min, minute.Max, minute.Sum));
            Assert.Equal(expected[^1], minute.Last.AsDouble());
        }
        Assert.Equal(3, recorder.ReadMinutes("m2", "speed", T0, T0.AddMinutes(4)).Count);
    }

    [Fact]
    public async Task A_minute_in_parts_and_in_the_older_per_tag_rows_is_read_merged_and_a_damaged_minute_row_is_refused()
    {
        var options = Options();
        await using (var recorder = Open(options))
        {
            recorder.RecordReadings("m1", T0.AddSeconds(10), [Reading("temp", 5, T0.AddSeconds(10))], default);
            recorder.RecordReadings("m1", T0.AddSeconds(70), [Reading("temp", 6, T0.AddSeconds(70))], default);
            await recorder.FlushAsync();
        }
        // The same minute as a file written before one row per twin and minute held it: one row per tag.
        Execute(options.Path, "INSERT INTO recording_minutes VALUES ('m1', 'temp', $minute, 2, 2, 1, 9, 10, $ticks, x'0300000000000000c03f')",
            ("$minute", T0.UtcTicks / TimeSpan.TicksPerMinute), ("$ticks", T0.AddSeconds(5).UtcTicks));
        await using var reopened = Open(options);
        var minute = reopened.ReadMinutes("m1", "temp", T0, T0.AddMinutes(1)).Single();
        Assert.Equal((3L, 3L, 1.0, 9.0, 15.0), (minute.Count, minute.Numbers, minute.Min, minute.Max, minute.Sum));
        Assert.Equal(5, minute.Last.AsDouble());   // the later reading's value
        Assert.Empty(reopened.ReadMinutes("m1", "other", T0, T0.AddMinutes(1)));
        Execute(options.Path, "UPDATE recording_twin_minutes SET data = x'0105' WHERE twin = 'm1'");
        var e = Assert.Throws<InvalidDataException>(() => reopened.ReadMinutes("m1", "temp", T0, T0.AddMinutes(2)));
        Assert.Contains(options.Path, e.Message, StringComparison.Ordinal);
        Assert.Contains("minute row", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readings_and_command_transitions_are_kept_in_order_per_twin_and_survive_reopening()
    {
        var options = Options();
        await using (var recorder = Open(options))
        {
            recorder.RecordReadings("m1", T0, [Reading("speed", 1, T0), Reading("temp", 20, T0)], default);
            recorder.RecordReadings("m2", T0, [Reading("speed", 9, T0)], default);
            recorder.RecordCommand("m1", Command("c1", CommandDeliveryStatus.Issued, T0.AddSeconds(1)));
            recorder.RecordReadings("m1", T0.AddSeconds(1), [Reading("speed", 2, T0.AddSeconds(1), 2)], default);
            recorder.RecordCommand("m1", Command("c1", CommandDeliveryStatus.Applied, T0.AddSeconds(2)));
            await recorder.FlushAsync();
            Assert.Equal(5, recorder.Committed);
            Assert.Equal(4, recorder.CommittedReadings);
        }
        await using var reopened = Open(options);
        var m1 = reopened.Read("m1", T0, T0.AddMinutes(1)).ToList();
        Assert.Equal(4, m1.Count);
        Assert.Equal(["speed", "temp"], m1[0].Readings.Select(r => r.Tag));
        Assert.Equal(20, m1[0].Readings[1].Value.AsDouble());
        Assert.Equal(CommandDeliveryStatus.Issued, m1[1].Command!.Status);
        Assert.Equal("c1", m1[1].Command!.CommandId);
        Assert.Equal(7, m1[1].Command!.Payload.AsDouble());
        Assert.Equal(2, m1[2].Readings.Single().Value.AsDouble());
        Assert.Equal(CommandDeliveryStatus.Applied, m1[3].Command!.Status);
        Assert.True(m1.Zip(m1.Skip(1)).All(p => p.First.Position < p.Second.Position));
        Assert.Equal(9, reopened.Read("m2", T0, T0).Single().Readings.Single().Value.AsDouble());
        Assert.Equal((T0, T0.AddSeconds(2)), reopened.Range("m1"));
        Assert.Null(reopened.Range("nobody"));
    }

    [Fact]
    public async Task Tag_names_of_any_length_and_alphabet_are_recorded_as_given()
    {
        var options = Options();
        // ASCII names take the short path; one non-ASCII char anywhere, or 128 chars and more, the UTF-8 one.
        string[] names = ["a", "Temperatur°C", "ä", "name" + new string('x', 123), "name" + new string('y', 124), "温度/line-1", "speed" + new string('z', 300) + "é"];
        await using var recorder = Open(options);
        recorder.RecordReadings("m1", T0, [.. names.Select((n, i) => Reading(n, i, T0))], default);
        await recorder.FlushAsync();
        var entry = recorder.Read("m1", T0, T0).Single();
        Assert.Equal(names, entry.Readings.Select(r => r.Tag));
        Assert.Equal(names.Select((_, i) => (double)i), entry.Readings.Select(r => r.Value.AsDouble()));
        Assert.Equal(127, names[3].Length);
    }

    [Fact]
    public async Task Only_the_readings_marked_accepted_are_recorded()
    {
        await using var recorder = Open(Options());
        recorder.RecordReadings("m1", T0, [Reading("a", 1, T0), Reading("b", 2, T0), Reading("c", 3, T0)], [true, false, true]);
        recorder.RecordReadings("m1", T0, [Reading("d", 4, T0)], [false]);
        await recorder.FlushAsync();
        Assert.Equal(["a", "c"], recorder.Read("m1", T0, T0).Single().Readings.Select(r => r.Tag));
    }

    [Fact]
    public async Task A_full_queue_drops_new_entries_and_counts_them_and_keeps_the_rest()
    {
        var options = Options(o => o.QueueCapacity = 16);
        await using var recorder = Open(options);
        // Another connection holds the write lock: the writer waits in its commit, the queue fills.
        using var blocker = new SqliteConnection($"Data Source={options.Path}");
        blocker.Open();
        using (var begin = blocker.CreateCommand()) { begin.CommandText = "BEGIN IMMEDIATE;"; begin.ExecuteNonQuery(); }
        int handed = 0;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (recorder.Dropped == 0 && DateTime.UtcNow < deadline)
        {
            recorder.RecordReadings("m1", T0.AddTicks(handed), [Reading("x", handed, T0, handed)], default);
            handed++;
            if (handed % 16 == 0) await Task.Yield();
        }
        Assert.True(recorder.Dropped > 0, "the queue never filled");
        using (var rollback = blocker.CreateCommand()) { rollback.CommandText = "ROLLBACK;"; rollback.ExecuteNonQuery(); }
        await recorder.FlushAsync();
        Assert.Equal(handed, recorder.Committed + recorder.Dropped);
        var kept = recorder.Read("m1", T0, T0.AddDays(1)).Select(e => e.Readings.Single().Value.AsDouble()).ToList();
        Assert.Equal(kept.Order(), kept);   // what was kept is in order, no gap inside what the queue held
        Assert.Equal(recorder.Committed, kept.Count);
    }

    [Fact]
    public async Task Retention_deletes_entries_older_than_the_maximum_age_and_the_oldest_beyond_the_size()
    {
        var now = DateTimeOffset.UtcNow;
        await using (var recorder = Open(Options(o => { o.MaxAge = TimeSpan.FromDays(1); o.RetentionInterval = TimeSpan.FromSeconds(1); })))
        {
            recorder.RecordReadings("m1", now.AddDays(-2), [Reading("old", 1, now.AddDays(-2))], default);
            recorder.RecordReadings("m1", now, [Reading("new", 2, now)], default);
            await recorder.FlushAsync();
            await WaitAsync(async () =>
            {
                recorder.RecordReadings("m2", DateTimeOffset.UtcNow, [Reading("tick", 0, now)], default);
                await recorder.FlushAsync();
                return recorder.DeletedByRetention > 0;
            });
            Assert.Equal(["new"], recorder.Read("m1", now.AddDays(-3), now).Select(e => e.Readings.Single().Tag));
            // The old entry's span goes with it (written after the entry was deleted: at a later pass).
            await WaitAsync(async () =>
            {
                recorder.RecordReadings("m2", DateTimeOffset.UtcNow, [Reading("tick", 0, now)], default);
                await recorder.FlushAsync();
                return Scalar(_dir.File("grid.recording.db"), "SELECT count(*) FROM recording_spans WHERE twin = 'm1'") == 0;
            });
        }
        Assert.Equal(1, Scalar(_dir.File("grid.recording.db"), "SELECT count(*) FROM recording_spans WHERE twin = 'm1'"));   // the new one, at close

        await using var small = Open(Options(o => { o.Path = _dir.File("small.recording.db"); o.MaxSizeMb = 1; o.RetentionInterval = TimeSpan.FromSeconds(1); }));
        var big = new string('x', 10_000);
        for (int i = 0; i < 300; i++)   // 3 MB
            small.RecordReadings("m1", now.AddTicks(i), [new TagUpdate("s", TagValue.FromString(big + i), TagQuality.Good, now, i)], default);
        await small.FlushAsync();
        await WaitAsync(async () =>
        {
            small.RecordReadings("m2", DateTimeOffset.UtcNow, [Reading("tick", 0, now)], default);
            await small.FlushAsync();
            return small.DeletedByRetention > 0;
        });
        var left = small.Read("m1", now, now.AddDays(1)).ToList();
        Assert.InRange(left.Count, 1, 120);
        Assert.EndsWith("299", left[^1].Readings.Single().Value.AsString());   // the newest are kept
    }

    [Fact]
    public async Task A_damaged_entry_is_refused_with_file_and_position()
    {
        var options = Options();
        await using var recorder = Open(options);
        recorder.RecordReadings("m1", T0, [Reading("a", 1, T0)], default);
        recorder.RecordReadings("m1", T0.AddSeconds(1), [Reading("a", 2, T0)], default);
        await recorder.FlushAsync();
        long position = recorder.Read("m1", T0, T0.AddSeconds(1)).Last().Position;
        Execute(options.Path, "UPDATE recording SET data = x'01ff' WHERE position = $p", ("$p", position));
        var e = Assert.Throws<InvalidDataException>(() => recorder.Read("m1", T0, T0.AddSeconds(1)).ToList());
        Assert.Contains(options.Path, e.Message, StringComparison.Ordinal);
        Assert.Contains($"position {position}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replay_reads_what_the_recorder_reads_with_one_string_per_tag_name_and_refuses_a_damaged_entry()
    {
        var options = Options();
        await using var recorder = Open(options);
        TagUpdate[] first =
        [
            Reading("a", 1.5, T0, 3), new("s", TagValue.FromString("text"), TagQuality.Uncertain, T0, 4), new("b", TagValue.FromBoolean(true), TagQuality.Bad, T0, 5),
            new("i", TagValue.FromInteger(-7), TagQuality.Good, T0, 6), new("arr", TagValue.FromArray(new[] { 1.0, 2.0 }), TagQuality.Good, T0, 7), new("none", TagValue.None, TagQuality.Good, T0, 8),
        ];
        recorder.RecordReadings("m1", T0, first, default);
        recorder.RecordReadings("m1", T0.AddSeconds(1), [Reading("a", 2, T0.AddSeconds(1), 9)], default);
        recorder.RecordCommand("m1", Command("c1", CommandDeliveryStatus.Issued, T0.AddSeconds(1)));
        await recorder.FlushAsync();
        var expected = recorder.Read("m1", T0, T0.AddSeconds(2)).ToList();
        var file = new RecordingFile(options.Path);
        var replayed = file.Read(T0, T0.AddSeconds(2), _ => true).ToList();
        Assert.Equal(3, replayed.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Position, replayed[i].Position);
            Assert.Equal(expected[i].At, replayed[i].At);
            Assert.Equal(expected[i].Command, replayed[i].Command);
            Assert.Equal(expected[i].Readings.Count, replayed[i].Readings.Count);
            for (int j = 0; j < expected[i].Readings.Count; j++)
            {
                TagUpdate x = expected[i].Readings[j], y = replayed[i].Readings[j];
                Assert.Equal((x.Tag, x.Quality, x.SourceTimestamp, x.Sequence, x.Value.DataType, x.Value.ToString()), (y.Tag, y.Quality, y.SourceTimestamp, y.Sequence, y.Value.DataType, y.Value.ToString()));
            }
        }
        // One string per tag name across entries (a replay reads millions of readings of the same few names).
        Assert.Same(replayed[0].Readings[0].Tag, replayed[1].Readings[0].Tag);

        // The first entry's bytes cut short in its last reading.
        Execute(options.Path, "UPDATE recording SET data = substr(data, 1, length(data) - 3) WHERE position = $p", ("$p", expected[0].Position));
        var e = Assert.Throws<InvalidDataException>(() => file.Read(T0, T0.AddSeconds(2), _ => true).ToList());
        Assert.Contains(options.Path, e.Message, StringComparison.Ordinal);
        Assert.Contains($"position {expected[0].Position}", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Three twins, up to 700 entries each over 140 s (spans end by width and by size), readings and commands:
    /// what the spans find is what was written, in order, forwards, newest first, one tag alone, and through a recording
    /// opened read-only; again after reopening.</summary>
    [Fact]
    public async Task Entries_are_found_through_the_spans_in_order_before_and_after_reopening()
    {
        var options = Options();
        string[] twins = ["m1", "m2", "m3"];
        var written = twins.ToDictionary(t => t, _ => new List<(DateTimeOffset At, double Value)>());
        await using (var recorder = Open(options))
        {
            for (int i = 0; i < 700; i++)
            {
                var at = T0.AddMilliseconds(i * 200);
                foreach (var t in twins)
                {
                    if (t == "m3" && i % 3 != 0) continue;   // a slower twin
                    recorder.RecordReadings(t, at, [Reading("speed", i, at), Reading("temp", -i, at)], default);
                    written[t].Add((at, i));
                }
                if (i % 100 == 50) recorder.RecordCommand("m1", Command("c" + i, CommandDeliveryStatus.Issued, at));
                if (i % 97 == 0) await recorder.FlushAsync();   // commits of every size
            }
            await recorder.FlushAsync();
            Check(recorder, new RecordingFile(options.Path));
        }
        await using var reopened = Open(options);
        Check(reopened, new RecordingFile(options.Path));
        using var c = new SqliteConnection($"Data Source={options.Path};Mode=ReadOnly");
        c.Open();
        using var spans = c.CreateCommand();
        spans.CommandText = "SELECT count(*), max(count) FROM recording_spans";
        using var r = spans.ExecuteReader();
        r.Read();
        Assert.InRange(r.GetInt64(0), 7, 12);   // m1 and m2: 256 entries before a minute ends; m3: a minute each
        Assert.Equal(SpanCodec.MaxEntries, r.GetInt64(1));

        void Check(SqliteTwinRecorder recorder, RecordingFile file)
        {
            var end = T0.AddMinutes(10);
            foreach (var t in twins)
            {
                var entries = recorder.Read(t, T0, end).ToList();
                var readings = entries.Where(e => e.Command is null).ToList();
                Assert.Equal(written[t].Select(w => (w.At, w.Value)), readings.Select(e => (e.At, e.Readings[0].Value.AsDouble())));
                Assert.True(entries.Zip(entries.Skip(1)).All(p => p.First.Position < p.Second.Position));
                Assert.Equal(t == "m1" ? 7 : 0, entries.Count(e => e.Command is not null));
                Assert.Equal(entries.Select(e => e.Position).Reverse(), recorder.Read(t, T0, end, newestFirst: true).Select(e => e.Position));
                // A part in the middle: the spans around its ends are cut at the instants asked.
                var (from, to) = (T0.AddSeconds(31.5), T0.AddSeconds(95));
                Assert.Equal(written[t].Where(w => w.At >= from && w.At <= to).Select(w => -w.Value),
                    recorder.ReadTag(t, "temp", from, to).Select(p => p.Value.AsDouble()));
                Assert.Equal(written[t].Where(w => w.At >= from && w.At <= to).Reverse().Take(5).Select(w => w.Value),
                    recorder.Read(t, from, to, newestFirst: true).Where(e => e.Command is null).Take(5).Select(e => e.Readings[0].Value.AsDouble()));
                Assert.Equal((written[t][0].At, written[t][^1].At), recorder.Range(t));
                Assert.True(file.HasEntries(t, from, to));
                Assert.False(file.HasEntries(t, end, end.AddHours(1)));
            }
            Assert.False(file.HasEntries("nobody", T0, end));
        }
    }

    /// <summary>A recording written before spans (rows and a (twin, at) index) is indexed by spans when opened, its old
    /// index dropped; entries written after are read with the older ones, in order.</summary>
    [Fact]
    public async Task A_new_recording_has_16_KiB_pages_and_a_file_of_4_KiB_pages_keeps_them_and_is_read_and_appended_to()
    {
        var fresh = Options();
        await using (var recorder = Open(fresh))
        {
            recorder.RecordReadings("m1", T0, [Reading("a", 1, T0)], default);
            await recorder.FlushAsync();
        }
        Assert.Equal(16384, Scalar(fresh.Path, "PRAGMA page_size"));

        // A file an earlier version made (SQLite's default page size) is not rebuilt: it keeps its pages and works.
        var older = Options(o => o.Path = _dir.File("older.recording.db"));
        Execute(older.Path, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE made_before (x INTEGER);");
        await using (var recorder = Open(older))
        {
            for (int i = 0; i < 500; i++) recorder.RecordReadings("m1", T0.AddSeconds(i), [Reading("a", i, T0.AddSeconds(i))], default);
            await recorder.FlushAsync();
        }
        await using (var reopened = Open(older))
        {
            reopened.RecordReadings("m1", T0.AddSeconds(500), [Reading("a", 500, T0.AddSeconds(500))], default);
            await reopened.FlushAsync();
            Assert.Equal(Enumerable.Range(0, 501).Select(i => (double)i), reopened.ReadTag("m1", "a", T0, T0.AddHours(1)).Select(p => p.Value.AsDouble()));
        }
        Assert.Equal(4096, Scalar(older.Path, "PRAGMA page_size"));
    }

    [Fact]
    public async Task A_recording_from_before_spans_is_indexed_on_open_and_read_with_the_entries_after()
    {
        var options = Options();
        await using (var recorder = Open(options))
        {
            for (int i = 0; i < 300; i++) recorder.RecordReadings("m1", T0.AddSeconds(i), [Reading("a", i, T0.AddSeconds(i))], default);
            recorder.RecordCommand("m1", Command("c1", CommandDeliveryStatus.Applied, T0.AddSeconds(300)));
            recorder.RecordReadings("m2", T0, [Reading("b", -1, T0)], default);
        }
        // What the older version left: no spans, no state, the (twin, at) index.
        Execute(options.Path, "DROP TABLE recording_spans; DROP TABLE recording_state; CREATE INDEX recording_twin_at ON recording (twin, at);");
        await using (var recorder = Open(options))
        {
            for (int i = 300; i < 400; i++) recorder.RecordReadings("m1", T0.AddSeconds(i), [Reading("a", i, T0.AddSeconds(i))], default);
            await recorder.FlushAsync();
            var m1 = recorder.Read("m1", T0, T0.AddHours(1)).ToList();
            Assert.Equal(401, m1.Count);
            Assert.Equal(Enumerable.Range(0, 400).Select(i => (double)i), m1.Where(e => e.Command is null).Select(e => e.Readings[0].Value.AsDouble()));
            Assert.Equal("c1", m1[300].Command!.CommandId);
            Assert.Equal(-1, recorder.Read("m2", T0, T0).Single().Readings[0].Value.AsDouble());
            Assert.Equal((T0, T0.AddSeconds(399)), recorder.Range("m1"));
        }
        using var check = new SqliteConnection($"Data Source={options.Path};Mode=ReadOnly");
        check.Open();
        using var index = check.CreateCommand();
        index.CommandText = "SELECT count(*) FROM sqlite_master WHERE name = 'recording_twin_at'";
        Assert.Equal(0L, index.ExecuteScalar());
    }

    /// <summary>What a kill -9 leaves: the file as the last commit left it, spans still in the writer's memory lost. A
    /// recorder opened on that image finds every committed entry (it indexes the rows after the last written span again).</summary>
    [Fact]
    public async Task Entries_committed_before_a_crash_are_found_when_the_image_is_opened()
    {
        var options = Options();
        var image = _dir.File("crashed.recording.db");
        await using (var recorder = Open(options))
        {
            for (int i = 0; i < 200; i++) recorder.RecordReadings("m" + (i % 4), T0.AddSeconds(i), [Reading("a", i, T0.AddSeconds(i))], default);
            await recorder.FlushAsync();
            // The file and its write-ahead log as they are now, while the recorder still runs (the spans of the last
            // minute are in its memory only).
            File.Copy(options.Path, image);
            File.Copy(options.Path + "-wal", image + "-wal");
        }
        await using var reopened = Open(Options(o => o.Path = image));
        for (int m = 0; m < 4; m++)
            Assert.Equal(Enumerable.Range(0, 200).Where(i => i % 4 == m).Select(i => (double)i),
                reopened.Read("m" + m, T0, T0.AddHours(1)).Select(e => e.Readings[0].Value.AsDouble()));
        Assert.True(new RecordingFile(image).HasEntries("m3", T0.AddSeconds(199), T0.AddSeconds(200)));
        // The twins go on after the restart: their new entries join the spans rebuilt on open, and every entry is found
        // in order, in memory and once written.
        for (int i = 200; i < 300; i++) reopened.RecordReadings("m" + (i % 4), T0.AddSeconds(i), [Reading("a", i, T0.AddSeconds(i))], default);
        await reopened.FlushAsync();
        for (int m = 0; m < 4; m++)
            Assert.Equal(Enumerable.Range(0, 300).Where(i => i % 4 == m).Select(i => (double)i),
                reopened.Read("m" + m, T0, T0.AddHours(1)).Select(e => e.Readings[0].Value.AsDouble()));
        await reopened.DisposeAsync();
        await using var again = Open(Options(o => o.Path = image));
        Assert.Equal(Enumerable.Range(0, 300).Where(i => i % 4 == 1).Select(i => (double)i),
            again.Read("m1", T0, T0.AddHours(1)).Select(e => e.Readings[0].Value.AsDouble()));
    }

    [Fact]
    public async Task A_damaged_span_is_refused_with_file_and_row()
    {
        var options = Options();
        await using (var recorder = Open(options))
            for (int i = 0; i < 10; i++) recorder.RecordReadings("m1", T0.AddSeconds(i), [Reading("a", i, T0)], default);
        Execute(options.Path, "UPDATE recording_spans SET data = x'0102ff' WHERE twin = 'm1'");
        await using var reopened = Open(options);
        var e = Assert.Throws<InvalidDataException>(() => reopened.Read("m1", T0, T0.AddMinutes(1)).ToList());
        Assert.Contains(options.Path, e.Message, StringComparison.Ordinal);
        Assert.Contains("span row", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => reopened.ReadTag("m1", "a", T0, T0.AddMinutes(1)));
    }

    /// <summary>Readings entries of the first version (the bytes a BinaryWriter wrote: source ticks whole, a type byte)
    /// are read beside those written now (version 2: steps), through the recorder and a read-only file; an entry of
    /// version 2 with a value type no version has is refused with file and position.</summary>
    [Fact]
    public async Task Readings_of_the_first_version_are_read_beside_those_written_now()
    {
        var options = Options();
        await using (var recorder = Open(options))
        {
            recorder.RecordReadings("m1", T0, [Reading("a", 1, T0.AddMilliseconds(-3), 10), new("s", TagValue.FromString("x"), TagQuality.Bad, T0.AddMilliseconds(-3), 9)], default);
            recorder.RecordReadings("m1", T0.AddSeconds(1), [new("arr", TagValue.FromArray(new[] { "p", "q" }), TagQuality.Uncertain, T0.AddDays(-1), long.MaxValue), Reading("a", 2, T0.AddSeconds(2), 0)], default);
        }
        long first;
        using (var c = new SqliteConnection($"Data Source={options.Path};Pooling=false"))
        {
            c.Open();
            using (var max = c.CreateCommand()) { max.CommandText = "SELECT max(position) + 1 FROM recording"; first = (long)max.ExecuteScalar()!; }
            // As the first version wrote them (rows a crash left without spans are indexed on open, as these).
            for (int i = 0; i < 2; i++)
            {
                using var buffer = new MemoryStream();
                using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
                {
                    w.Write((byte)1);
                    w.Write7BitEncodedInt(2);
                    w.Write("a"); w.Write((byte)TagQuality.Good); w.Write(T0.AddSeconds(2 + i).UtcTicks); w.Write7BitEncodedInt64(20 + i); w.Write((byte)TagDataType.Double); w.Write(3.5 + i);
                    w.Write("s"); w.Write((byte)TagQuality.Uncertain); w.Write(T0.UtcTicks); w.Write7BitEncodedInt64(1); w.Write((byte)TagDataType.String); w.Write("old");
                }
                using var insert = c.CreateCommand();
                insert.CommandText = "INSERT INTO recording (position, twin, at, kind, data) VALUES ($p, 'm1', $at, 0, $data)";
                insert.Parameters.AddWithValue("$p", first + i);
                insert.Parameters.AddWithValue("$at", T0.AddSeconds(2 + i).UtcTicks);
                insert.Parameters.AddWithValue("$data", buffer.ToArray());
                insert.ExecuteNonQuery();
            }
        }
        await using var reopened = Open(options);
        var entries = reopened.Read("m1", T0, T0.AddMinutes(1)).ToList();
        Assert.Equal(4, entries.Count);
        var now = entries[0].Readings;
        Assert.Equal(("a", 1.0, TagQuality.Good, T0.AddMilliseconds(-3), 10L), (now[0].Tag, now[0].Value.AsDouble(), now[0].Quality, now[0].SourceTimestamp, now[0].Sequence));
        Assert.Equal(("s", "x", TagQuality.Bad, T0.AddMilliseconds(-3), 9L), (now[1].Tag, now[1].Value.AsString(), now[1].Quality, now[1].SourceTimestamp, now[1].Sequence));
        var later = entries[1].Readings;
        Assert.Equal(["p", "q"], (string[])later[0].Value.AsArray());
        Assert.Equal((TagQuality.Uncertain, T0.AddDays(-1), long.MaxValue), (later[0].Quality, later[0].SourceTimestamp, later[0].Sequence));
        Assert.Equal((2.0, T0.AddSeconds(2), 0L), (later[1].Value.AsDouble(), later[1].SourceTimestamp, later[1].Sequence));
        var old = entries[3].Readings;
        Assert.Equal(first + 1, entries[3].Position);
        Assert.Equal(("a", 4.5, TagQuality.Good, T0.AddSeconds(3), 21L), (old[0].Tag, old[0].Value.AsDouble(), old[0].Quality, old[0].SourceTimestamp, old[0].Sequence));
        Assert.Equal(("s", "old", TagQuality.Uncertain, T0, 1L), (old[1].Tag, old[1].Value.AsString(), old[1].Quality, old[1].SourceTimestamp, old[1].Sequence));
        Assert.Equal([1.0, 2.0, 3.5, 4.5], reopened.ReadTag("m1", "a", T0, T0.AddMinutes(1)).Select(p => p.Value.AsDouble()));
        var file = new RecordingFile(options.Path);
        Assert.Equal(entries.Select(e => e.Readings.Count), file.Read(T0, T0.AddMinutes(1), _ => true).Select(e => e.Readings.Count));

        // Version 2, one reading "a", type 15.
        Execute(options.Path, "UPDATE recording SET data = x'020101610f0000' WHERE position = $p", ("$p", entries[1].Position));
        var e = Assert.Throws<InvalidDataException>(() => file.Read(T0, T0.AddMinutes(1), _ => true).ToList());
        Assert.Contains(options.Path, e.Message, StringComparison.Ordinal);
        Assert.Contains($"position {entries[1].Position}", e.Message, StringComparison.Ordinal);
        Assert.Contains("unknown value type 15", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Entries whose tag names are longer than a schema's id name their tags by index into a tag schema stored
    /// once (version 3): every value type, quality, source time and sequence comes back as recorded, through the
    /// recorder, the file reopened and a replay's read; a twin reporting the same tags in another order shares the
    /// schema; a new tag extends it. A damaged or missing schema row is refused naming the file and the entry.</summary>
    [Fact]
    public async Task Long_tag_names_are_recorded_by_index_into_a_tag_schema_stored_once()
    {
        var options = Options();
        string[] names = ["line-1/press-3/temperature", "line-1/press-3/pressure", "line-1/press-3/state", "line-1/press-3/recipe", "line-1/press-3/alarms"];
        TagUpdate[] Readings(int i, DateTimeOffset at) =>
        [
            new(names[0], TagValue.FromDouble(20.5 + i), TagQuality.Good, at, 100 + i),
            new(names[1], TagValue.FromInteger(-7 - i), TagQuality.Uncertain, at, 100 + i),
            new(names[2], TagValue.FromBoolean(i % 2 == 0), TagQuality.Bad, at.AddMilliseconds(-5), 100 + i),
            new(names[3], TagValue.FromString("recipe-" + i), TagQuality.Good, at.AddMilliseconds(-5), 90),
            new(names[4], TagValue.FromArray(new[] { 1.5, double.NaN }), TagQuality.Good, at.AddDays(-1), long.MaxValue),
        ];
        var m1 = new List<TagUpdate[]>();
        var m2 = Readings(5, T0.AddSeconds(5)).Reverse().ToArray();
        await using (var recorder = Open(options))
        {
            for (int i = 0; i < 3; i++)
            {
                m1.Add(Readings(i, T0.AddSeconds(i)));
                recorder.RecordReadings("m1", T0.AddSeconds(i), m1[^1], default);
            }
            recorder.RecordReadings("m2", T0.AddSeconds(5), m2, default);
            m1.Add([.. Readings(3, T0.AddSeconds(3)), new("line-1/press-3/door-open", TagValue.None, TagQuality.Good, T0.AddSeconds(3), 0)]);
            recorder.RecordReadings("m1", T0.AddSeconds(3), m1[^1], default);
            await recorder.FlushAsync();
            Assert.Equal(m1, recorder.Read("m1", T0, T0.AddMinutes(1)).Select(e => e.Readings.ToArray()));
        }
        Assert.Equal(2, Scalar(options.Path, "SELECT count(*) FROM recording_schemas"));
        Assert.Equal(5, Scalar(options.Path, "SELECT count(*) FROM recording WHERE substr(data, 1, 1) = x'03'"));
        await using (var reopened = Open(options))
        {
            Assert.Equal(m1, reopened.Read("m1", T0, T0.AddMinutes(1)).Select(e => e.Readings.ToArray()));
            Assert.Equal([20.5, 21.5, 22.5, 23.5], reopened.ReadTag("m1", names[0], T0, T0.AddMinutes(1)).Select(p => p.Value.AsDouble()));
            Assert.Equal(4, Assert.Single(reopened.ReadMinutes("m1", names[0], T0, T0.AddMinutes(2))).Count);
        }
        var file = new RecordingFile(options.Path);
        var replayed = file.Read(T0, T0.AddMinutes(1), _ => true).ToList();
        Assert.Equal(m1, replayed.Where(e => e.TwinId == "m1").Select(e => e.Readings.ToArray()));
        Assert.Equal(m2, replayed.Single(e => e.TwinId == "m2").Readings);

        long position = replayed[0].Position;
        Execute(options.Path, "UPDATE recording_schemas SET names = CAST(names || x'00' AS BLOB)");
        var damaged = Assert.Throws<InvalidDataException>(() => new RecordingFile(options.Path).Read(T0, T0.AddMinutes(1), _ => true).ToList());
        Assert.Contains(options.Path, damaged.Message, StringComparison.Ordinal);
        Assert.Contains($"position {position}", damaged.Message, StringComparison.Ordinal);
        Assert.Contains("is damaged: its names do not hash to its id", damaged.Message, StringComparison.Ordinal);
        Execute(options.Path, "DELETE FROM recording_schemas");
        var missing = Assert.Throws<InvalidDataException>(() => new RecordingFile(options.Path).Read(T0, T0.AddMinutes(1), _ => true).ToList());
        Assert.Contains($"position {position}", missing.Message, StringComparison.Ordinal);
        Assert.Contains("which the recording does not hold", missing.Message, StringComparison.Ordinal);
    }

    /// <summary>A twin with more tags than a schema holds, and one whose names together are shorter than a schema's id,
    /// spell their names (version 2): nothing is lost, no schema is stored for them.</summary>
    [Fact]
    public async Task Entries_a_schema_cannot_shorten_spell_their_names_and_read_back()
    {
        var options = Options();
        var many = Enumerable.Range(0, TagSchema.MaxNames + 1).Select(i => Reading("sensor-" + i.ToString("0000", System.Globalization.CultureInfo.InvariantCulture), i, T0)).ToArray();
        TagUpdate[] few = [Reading("a", 1, T0), Reading("b", 2, T0)];
        await using var recorder = Open(options);
        recorder.RecordReadings("big", T0, many, default);
        recorder.RecordReadings("small", T0, few, default);
        await recorder.FlushAsync();
        Assert.Equal(many, Assert.Single(recorder.Read("big", T0, T0.AddMinutes(1))).Readings);
        Assert.Equal(few, Assert.Single(recorder.Read("small", T0, T0.AddMinutes(1))).Readings);
        Assert.Equal(2, Scalar(options.Path, "SELECT count(*) FROM recording WHERE substr(data, 1, 1) = x'02'"));
        Assert.Equal(0, Scalar(options.Path, "SELECT count(*) FROM recording_schemas"));
    }

    [Fact]
    public void Settings_out_of_range_are_named_all_at_once()
    {
        var problems = new RecordingOptions { MaxAge = TimeSpan.Zero, MaxSizeMb = 0, QueueCapacity = 1, FlushInterval = TimeSpan.FromMinutes(1) }.Problems();
        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Recording:MaxAge", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Recording:MaxSizeMb", StringComparison.Ordinal));
    }

    private static void Execute(string path, string sql, params (string Name, object Value)[] parameters)
    {
        using var c = new SqliteConnection($"Data Source={path};Pooling=false");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        cmd.ExecuteNonQuery();
    }

    private static long Scalar(string path, string sql)
    {
        using var c = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=false");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in 30 s");
            await Task.Delay(50);
        }
    }
}
