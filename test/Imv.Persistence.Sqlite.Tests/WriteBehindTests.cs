using System.Buffers;
using Microsoft.Data.Sqlite;
using Orleans.Storage;

namespace Imv.Persistence.Sqlite.Tests;

/// <summary>SQLite write-behind: acknowledged writes survive a crash through the journal, a checkpoint moves
/// them to grain_state, and damaged journals fail clearly without losing anything.</summary>
public sealed class WriteBehindTests : IDisposable
{
    private static CancellationToken None => CancellationToken.None;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static SqliteStorageOptions Options(string path, TimeSpan? interval = null) =>
        new() { Path = path, CheckpointInterval = interval ?? TimeSpan.FromMinutes(30) };

    private static string Grain(int i) => "machine/m" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Show(long etag) => etag.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>What a crash leaves: the database files and journal segments as the OS holds them while the
    /// storage is still open (nothing is flushed or checkpointed on the way), copied to another folder.</summary>
    private string CrashImage(string databasePath)
    {
        var image = Directory.CreateDirectory(Path.Combine(_dir.Path, "crash-" + Guid.NewGuid().ToString("N")));
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(databasePath)!, Path.GetFileName(databasePath) + "*"))
        {
            if (file.EndsWith(".lock", StringComparison.Ordinal)) continue;
            File.Copy(file, Path.Combine(image.FullName, Path.GetFileName(file)));
        }
        return Path.Combine(image.FullName, Path.GetFileName(databasePath));
    }

    private static long RowsInGrainState(string databasePath)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM grain_state WHERE data IS NOT NULL;";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Acknowledged_writes_and_clears_survive_a_crash_through_the_journal()
    {
        string db = _dir.File("grid.db");
        var etags = new Dictionary<int, string>();
        await using (var storage = new OpenStore(Options(db)))
        {
            // Concurrent writers (one group commit), their ETags gathered after all completed.
            var first = await Task.WhenAll(Enumerable.Range(0, 500).Select(i => storage.Grains.WriteAsync("state", Grain(i), new byte[] { (byte)i, 1 }, null, None)));
            for (int i = 0; i < first.Length; i++) etags[i] = first[i];
            // Second versions of some, a clear of one: the newest acknowledged version must win after the crash.
            for (int i = 0; i < 10; i++) etags[i] = await storage.Grains.WriteAsync("state", Grain(i), new byte[] { (byte)i, 2 }, etags[i], None);
            await storage.Grains.ClearAsync("state", Grain(499), etags[499], None);
            Assert.True(storage.Grains.DirtyRecords >= 500);
            string image = CrashImage(db);
            Assert.Equal(0, RowsInGrainState(image)); // nothing reached grain_state: recovery must come from the journal

            await using var recovered = new OpenStore(Options(image));
            Assert.Equal(500, recovered.Grains.RecoveredRecords);
            for (int i = 0; i < 499; i++)
            {
                var record = recovered.Grains.Read("state", Grain(i));
                Assert.NotNull(record);
                Assert.Equal(new byte[] { (byte)i, (byte)(i < 10 ? 2 : 1) }, record.Data);
                Assert.Equal(etags[i], Show(record.ETag));
            }
            Assert.Null(recovered.Grains.Read("state", Grain(499))!.Data); // the clear's tombstone
            Assert.Equal(499, RowsInGrainState(image)); // replayed into the table, journal gone
            Assert.Single(Directory.EnumerateFiles(Path.GetDirectoryName(image)!, "*.journal")); // only the new, current segment
            // Versions continue from the recovered ones: an old ETag is refused, the current one accepted.
            await Assert.ThrowsAsync<InconsistentStateException>(() => recovered.Grains.WriteAsync("state", Grain(0), new byte[] { 9 }, "1", None));
            await recovered.Grains.WriteAsync("state", Grain(0), new byte[] { 9 }, etags[0], None);
            // The tombstone's version is kept: the ETag from before the clear no longer matches.
            await Assert.ThrowsAsync<InconsistentStateException>(() => recovered.Grains.WriteAsync("state", Grain(499), new byte[] { 9 }, etags[499], None));
            Assert.Equal("3", await recovered.Grains.WriteAsync("state", Grain(499), new byte[] { 9 }, null, None));
        }
    }

    [Fact]
    public async Task With_full_synchronous_each_frame_and_each_new_segment_is_synced_and_recovers()
    {
        string db = _dir.File("grid.db");
        var options = Options(db);
        options.Synchronous = SqliteSynchronousMode.Full;
        await using var storage = new OpenStore(options);
        for (int i = 0; i < 10; i++) await storage.Grains.WriteAsync("state", Grain(i), new byte[] { (byte)i }, null, None);
        await storage.Grains.CheckpointAsync(None); // rotates to a new segment (its directory entry synced)
        for (int i = 10; i < 20; i++) await storage.Grains.WriteAsync("state", Grain(i), new byte[] { (byte)i }, null, None);
        string image = CrashImage(db);
        var imageOptions = Options(image);
        imageOptions.Synchronous = SqliteSynchronousMode.Full;
        await using var recovered = new OpenStore(imageOptions);
        Assert.Equal(10, recovered.Grains.RecoveredRecords);
        for (int i = 0; i < 20; i++) Assert.Equal(new byte[] { (byte)i }, (recovered.Grains.Read("state", Grain(i)))!.Data);
    }

    [Fact]
    public async Task A_checkpoint_moves_records_to_grain_state_and_empties_the_journal()
    {
        string db = _dir.File("grid.db");
        await using var storage = new OpenStore(Options(db));
        var etags = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => storage.Grains.WriteAsync("state", Grain(i), new byte[] { (byte)i }, null, None)));
        Assert.Equal(200, storage.Grains.DirtyRecords);
        Assert.True(storage.Grains.JournalBytes > 200);
        Assert.Equal(0, RowsInGrainState(db));

        await storage.Grains.CheckpointAsync(None);

        Assert.Equal(0, storage.Grains.DirtyRecords);
        Assert.Equal(0, storage.Grains.JournalBytes);
        Assert.Equal(1, storage.Grains.Checkpoints);
        Assert.Equal(200, RowsInGrainState(db));
        var segments = Directory.EnumerateFiles(_dir.Path, "*.journal").ToList();
        Assert.Single(segments);
        Assert.Equal(0, new FileInfo(segments[0]).Length);
        // Reads now come from the table; the version rules still hold without the data in memory.
        Assert.Equal(new byte[] { 7 }, (storage.Grains.Read("state", Grain(7)))!.Data);
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.Grains.WriteAsync("state", Grain(7), new byte[] { 8 }, null, None));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.Grains.WriteAsync("state", Grain(7), new byte[] { 8 }, "2", None));
        string next = await storage.Grains.WriteAsync("state", Grain(7), new byte[] { 8 }, etags[7], None);
        Assert.Equal("2", next);
    }

    [Fact]
    public async Task Checkpoints_run_on_their_interval_while_writes_continue()
    {
        string db = _dir.File("grid.db");
        await using var storage = new OpenStore(Options(db, interval: TimeSpan.FromMilliseconds(50)));
        var etags = new string?[50];
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < etags.Length; i++)
                etags[i] = await storage.Grains.WriteAsync("state", Grain(i), new byte[] { (byte)round }, etags[i], None);
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (storage.Grains.DirtyRecords > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(0, storage.Grains.DirtyRecords);
        Assert.True(storage.Grains.Checkpoints >= 1);
        Assert.Equal(50, RowsInGrainState(db));
        for (int i = 0; i < etags.Length; i++)
        {
            var record = storage.Grains.Read("state", Grain(i));
            Assert.Equal(new byte[] { 19 }, record!.Data);
            Assert.Equal(20, record.ETag);
        }
    }

    [Fact]
    public async Task A_clean_stop_leaves_no_journal_and_the_next_open_replays_nothing()
    {
        string db = _dir.File("grid.db");
        await using (var storage = new OpenStore(Options(db)))
            await storage.Grains.WriteAsync("state", Grain(1), new byte[] { 1 }, null, None);
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "*.journal"));
        await using var reopened = new OpenStore(Options(db));
        Assert.Equal(0, reopened.Grains.RecoveredRecords);
        Assert.Equal(new byte[] { 1 }, (reopened.Grains.Read("state", Grain(1)))!.Data);
    }

    [Fact]
    public async Task A_frame_cut_short_at_the_end_is_skipped_and_the_frames_before_it_recovered()
    {
        string db = _dir.File("grid.db");
        await using var storage = new OpenStore(Options(db));
        await storage.Grains.WriteAsync("state", Grain(1), new byte[] { 1 }, null, None);
        await storage.Grains.WriteAsync("state", Grain(2), new byte[] { 2 }, null, None);
        string image = CrashImage(db);
        string segment = Directory.EnumerateFiles(Path.GetDirectoryName(image)!, "*.journal").Single();
        // A crash in the middle of appending a frame: its header and a part of its payload.
        using (var file = new FileStream(segment, FileMode.Append))
            file.Write([0x49, 0x4D, 0x4F, 0x31, 100, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3]);

        await using var recovered = new OpenStore(Options(image));
        Assert.Equal(2, recovered.Grains.RecoveredRecords);
        Assert.Equal(new byte[] { 2 }, (recovered.Grains.Read("state", Grain(2)))!.Data);
    }

    [Fact]
    public async Task A_damaged_frame_fails_the_open_naming_file_and_offset_and_keeps_the_journal()
    {
        string db = _dir.File("grid.db");
        await using var storage = new OpenStore(Options(db));
        await storage.Grains.WriteAsync("state", Grain(1), new byte[] { 1, 2, 3, 4 }, null, None);
        await storage.Grains.WriteAsync("state", Grain(2), new byte[] { 5 }, null, None);
        string image = CrashImage(db);
        string segment = Directory.EnumerateFiles(Path.GetDirectoryName(image)!, "*.journal").Single();
        byte[] bytes = File.ReadAllBytes(segment);
        bytes[20] ^= 0xFF; // inside the first frame's payload
        File.WriteAllBytes(segment, bytes);

        var e = Assert.Throws<InvalidDataException>(() => new OpenStore(Options(image)));
        Assert.Contains(segment, e.Message, StringComparison.Ordinal);
        Assert.Contains("at byte 0", e.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(segment)); // left for an operator
        // The failed open released the file: it can be opened again once the journal is dealt with.
        File.Move(segment, segment + ".damaged");
        await using var reopened = new OpenStore(Options(image));
        Assert.Null(reopened.Grains.Read("state", Grain(1)));
    }

    [Fact]
    public async Task A_journal_of_the_old_runtime_is_refused_naming_it()
    {
        string db = _dir.File("grid.db");
        new SqliteDatabase(Options(db)).Dispose();
        string segment = db + "-wb-00000001.journal";
        File.WriteAllBytes(segment, [0x49, 0x4D, 0x56, 0x4A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // "IMVJ", the old frame magic
        var e = Assert.Throws<InvalidDataException>(() => new OpenStore(Options(db)));
        Assert.Contains(segment, e.Message, StringComparison.Ordinal);
        Assert.Contains("old Imv runtime", e.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(segment));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task A_second_storage_on_the_same_file_is_refused_while_the_first_is_open()
    {
        string db = _dir.File("grid.db");
        await using var storage = new OpenStore(Options(db));
        var e = Assert.Throws<InvalidOperationException>(() => new OpenStore(Options(db)));
        Assert.Contains(db, e.Message, StringComparison.Ordinal);
        Assert.Contains("write-behind", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Versions_of_records_not_written_again_are_forgotten_after_two_checkpoints_and_checked_against_the_table()
    {
        string db = _dir.File("grid.db");
        await using var storage = new OpenStore(Options(db));
        var etags = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => storage.Grains.WriteAsync("state", Grain(i), new byte[] { (byte)i }, null, None)));
        await storage.Grains.CheckpointAsync(None);
        Assert.Equal(100, storage.Grains.CleanVersions);

        // A record written again stays known; the others are forgotten by the next checkpoint.
        etags[7] = await storage.Grains.WriteAsync("state", Grain(7), new byte[] { 70 }, etags[7], None);
        await storage.Grains.CheckpointAsync(None);
        Assert.Equal(1, storage.Grains.CleanVersions);

        // A forgotten record's version comes from the table: the ETag rules hold as before.
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.Grains.WriteAsync("state", Grain(3), new byte[] { 30 }, null, None));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.Grains.WriteAsync("state", Grain(3), new byte[] { 30 }, "2", None));
        Assert.Equal("2", await storage.Grains.WriteAsync("state", Grain(3), new byte[] { 30 }, etags[3], None));
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.Grains.WriteAsync("state", Grain(7), new byte[] { 71 }, etags[3], None));
        Assert.Equal("3", await storage.Grains.WriteAsync("state", Grain(7), new byte[] { 71 }, etags[7], None));
        Assert.Equal(new byte[] { 71 }, storage.Grains.Read("state", Grain(7))!.Data);
    }

    [Fact]
    public async Task An_idle_storage_forgets_every_version_within_two_checkpoint_intervals()
    {
        string db = _dir.File("grid.db");
        await using var storage = new OpenStore(Options(db, TimeSpan.FromMilliseconds(100)));
        var etags = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => storage.Grains.WriteAsync("state", Grain(i), new byte[] { (byte)i }, null, None)));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (storage.Grains.DirtyRecords > 0 || storage.Grains.CleanVersions > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"still {storage.Grains.DirtyRecords} dirty records and {storage.Grains.CleanVersions} versions held");
            await Task.Delay(20);
        }
        Assert.Equal(50, RowsInGrainState(db));
        Assert.Equal("2", await storage.Grains.WriteAsync("state", Grain(9), new byte[] { 90 }, etags[9], None));
    }

    [Fact]
    public void Invalid_write_behind_options_name_the_option_and_value()
    {
        var e = Assert.Throws<ArgumentException>(() => new SqliteDatabase(new SqliteStorageOptions
        {
            Path = _dir.File("a.db"), CheckpointInterval = TimeSpan.Zero, CheckpointJournalBytes = 10, CheckpointChunkSize = 0,
        }));
        Assert.Contains("CheckpointInterval must be between 10 ms and 1 h (was 00:00:00)", e.Message, StringComparison.Ordinal);
        Assert.Contains("CheckpointJournalBytes must be between 65536 and 68719476736 (was 10)", e.Message, StringComparison.Ordinal);
        Assert.Contains("CheckpointChunkSize must be between 1 and 100000 (was 0)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Journal_decoder_fuzz_100000_random_and_mutated_segments_fail_cleanly()
    {
        // A valid segment to mutate: three frames of a few records each.
        string db = _dir.File("fuzz.db");
        var journal = new WriteBehindJournal(db, syncEachFrame: false, lastSegment: 0);
        var payload = new ArrayBufferWriter<byte>();
        for (int frame = 0; frame < 3; frame++)
        {
            payload.ResetWrittenCount();
            for (int r = 0; r < 3; r++)
                StateJournalCodec.Write(payload, "state", Grain(frame * 3 + r), new byte[] { 1, 2, 3, (byte)r }, tombstone: r == 2, frame * 3 + r + 1);
            journal.Append(payload.WrittenSpan, 3);
        }
        journal.Dispose();
        byte[] valid = File.ReadAllBytes(WriteBehindJournal.Segments(db).Single().Path);
        Assert.Equal(9, WriteBehindJournal.ReadSegment(valid, "fuzz", last: true, (_, _) => { }).Count);

        var random = new Random(20261122);
        int clean = 0, torn = 0, refused = 0;
        for (int i = 0; i < 100_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 300)];
                random.NextBytes(input);
                if (input.Length >= 4 && i % 4 == 0) { input[0] = 0x49; input[1] = 0x4D; input[2] = 0x4F; input[3] = 0x31; }
            }
            else
            {
                input = (byte[])valid.Clone();
                int mutations = random.Next(1, 4);
                for (int m = 0; m < mutations; m++) input[random.Next(input.Length)] = (byte)random.Next(256);
                if (i % 3 == 0) input = input[..random.Next(input.Length)];
            }
            bool wasTorn = false;
            try
            {
                var records = WriteBehindJournal.ReadSegment(input, "fuzz", last: i % 5 != 0, (_, _) => wasTorn = true);
                if (wasTorn) torn++; else clean++;
                Assert.All(records, r => Assert.True(r.ETag >= 1));
            }
            catch (InvalidDataException e)
            {
                Assert.Contains("fuzz", e.Message, StringComparison.Ordinal);
                refused++;
            }
        }
        Assert.True(refused > 50_000, $"refused {refused}, torn {torn}, clean {clean}");
        Assert.True(torn > 0);
    }
}

public sealed class WriteBehindMetricsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Write_behind_is_observable_on_the_Imv_Storage_meter()
    {
        string db = _dir.File("metrics.db");
        await using var storage = new OpenStore(new SqliteStorageOptions { Path = db, CheckpointInterval = TimeSpan.FromMinutes(30) });
        for (int i = 0; i < 20; i++) await storage.Grains.WriteAsync("state", "machine/x" + i, new byte[] { 1, 2, 3 }, null, CancellationToken.None);

        var seen = new Dictionary<string, double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Imv.Storage") l.EnableMeasurementEvents(instrument);
        };
        void Record(System.Diagnostics.Metrics.Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
                if (tag.Key == "imv.storage.path" && Equals(tag.Value, db)) seen[instrument.Name] = value;
        }
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();

        listener.RecordObservableInstruments();
        Assert.Equal(20, seen["imv.storage.write_behind.dirty_records"]);
        Assert.True(seen["imv.storage.write_behind.journal_bytes"] > 20 * 3);
        Assert.True(seen["imv.storage.commits"] >= 1);
        Assert.Equal(0, seen["imv.storage.write_behind.checkpoints"]);

        await storage.Grains.CheckpointAsync(CancellationToken.None);
        listener.RecordObservableInstruments();
        Assert.Equal(0, seen["imv.storage.write_behind.dirty_records"]);
        Assert.Equal(1, seen["imv.storage.write_behind.checkpoints"]);
    }
}
