using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Storage;
using Xunit.Abstractions;

namespace Imv.Persistence.Sqlite.Tests;

public sealed class SqliteStorageTests(ITestOutputHelper output) : IDisposable
{
    private static CancellationToken None => CancellationToken.None;
    private readonly TempDirectory _dir = new();

    private SqliteStorageOptions Options(TimeSpan? window = null, bool writeBehind = true) =>
        new() { Path = _dir.File("grid.db"), GroupCommitWindow = window ?? TimeSpan.FromMilliseconds(2), WriteBehind = writeBehind };

    public void Dispose() => _dir.Dispose();

    private static long Pragma(SqliteDatabase db, string pragma) => db.Read(c =>
    {
        using var cmd = c.Connection.CreateCommand();
        cmd.CommandText = "PRAGMA " + pragma + ";";
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    });

    [Fact]
    public void Sqlite_opens_in_wal_mode_marked_with_application_id_and_schema_version()
    {
        using var db = new SqliteDatabase(Options());
        Assert.Equal(SqliteSchema.LatestVersion, db.SchemaVersion);
        Assert.Equal(SqliteSchema.ApplicationId, Pragma(db, "application_id"));
        Assert.Equal(SqliteSchema.LatestVersion, Pragma(db, "user_version"));
        Assert.Equal(1, Pragma(db, "synchronous")); // NORMAL
        Assert.Equal("wal", db.ExecuteWrite(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode;";
            return (string)cmd.ExecuteScalar()!;
        }));
    }

    [Fact]
    public void Full_synchronous_is_applied()
    {
        var options = Options();
        options.Synchronous = SqliteSynchronousMode.Full;
        using var db = new SqliteDatabase(options);
        Assert.Equal(2, Pragma(db, "synchronous"));
    }

    [Fact]
    public void Invalid_options_are_reported_in_one_message_naming_every_key_and_value()
    {
        var options = new SqliteStorageOptions
        {
            Path = "", ConfigurationPath = "Sqlite", GroupCommitWindow = TimeSpan.FromSeconds(-1), MaxBatchSize = 0, CheckpointJournalBytes = 10,
        };
        var e = Assert.Throws<OrleansConfigurationException>(() => new SqliteStorageOptionsValidator(options, "Default").ValidateConfiguration());
        Assert.Contains("'Default'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Sqlite:Path must name a database file (was '')", e.Message, StringComparison.Ordinal);
        Assert.Contains("Sqlite:GroupCommitWindow must be between 0 and 1 s (was -00:00:01)", e.Message, StringComparison.Ordinal);
        Assert.Contains("Sqlite:MaxBatchSize must be between 1 and 100000 (was 0)", e.Message, StringComparison.Ordinal);
        Assert.Contains("Sqlite:CheckpointJournalBytes", e.Message, StringComparison.Ordinal);
        Assert.Contains("(was 10)", e.Message, StringComparison.Ordinal);

        string missing = Path.Combine(_dir.Path, "no-such-dir", "grid.db");
        e = Assert.Throws<OrleansConfigurationException>(() =>
            new SqliteStorageOptionsValidator(new SqliteStorageOptions { Path = missing, CheckpointInterval = TimeSpan.Zero }, "Default").ValidateConfiguration());
        Assert.Contains($"Path is in directory '{Path.Combine(_dir.Path, "no-such-dir")}', which does not exist", e.Message, StringComparison.Ordinal);
        Assert.Contains("CheckpointInterval must be between 10 ms and 1 h (was 00:00:00)", e.Message, StringComparison.Ordinal);

        new SqliteStorageOptionsValidator(Options(), "Default").ValidateConfiguration(); // a valid one passes
    }

    [Fact]
    public void A_schema_newer_than_the_code_fails_clearly()
    {
        new SqliteDatabase(Options()).Dispose();
        ClusterTests.Execute(_dir.File("grid.db"), "PRAGMA user_version = 99;");
        var e = Assert.Throws<InvalidOperationException>(() => new SqliteDatabase(Options()));
        Assert.Contains(_dir.File("grid.db"), e.Message, StringComparison.Ordinal);
        Assert.Contains("schema version 99", e.Message, StringComparison.Ordinal);
        Assert.Contains($"version {SqliteSchema.LatestVersion}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_of_the_old_runtime_is_refused_with_what_to_do_and_left_untouched()
    {
        // The old runtime's schema (Runtime/Storage/Sqlite/SqliteDatabase.cs), with a state row in its own codec.
        string db = _dir.File("grid.db");
        ClusterTests.Execute(db, """
            CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL);
            CREATE TABLE grain_state (state_name TEXT NOT NULL, grain_type TEXT NOT NULL, grain_key TEXT NOT NULL, data BLOB,
                etag INTEGER, epoch INTEGER, updated_at INTEGER, PRIMARY KEY (state_name, grain_type, grain_key));
            CREATE TABLE reminders (grain_type TEXT NOT NULL, grain_key TEXT NOT NULL, name TEXT NOT NULL, start_at INTEGER NOT NULL,
                period_ticks INTEGER NOT NULL, etag TEXT NOT NULL, PRIMARY KEY (grain_type, grain_key, name));
            CREATE TABLE cluster_generation (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL);
            INSERT INTO schema_version VALUES (1, 'grain_state', '2026-11-01'), (2, 'reminders', '2026-11-01'), (3, 'cluster_generation', '2026-11-01');
            INSERT INTO grain_state VALUES ('state', 'machine', 'press-7', X'0102', 3, 1, 0);
            """);
        byte[] before = File.ReadAllBytes(db);
        var e = Assert.Throws<InvalidOperationException>(() => new SqliteDatabase(Options()));
        Assert.Contains(db, e.Message, StringComparison.Ordinal);
        Assert.Contains("old Imv runtime", e.Message, StringComparison.Ordinal);
        Assert.Contains("Move it aside", e.Message, StringComparison.Ordinal);
        Assert.Contains("starts with empty grain state", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(db));

        // Through the provider, as a silo would open it: the same refusal, and nothing is left open.
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => ProviderHarness.OpenAsync(Options()));
        Assert.Contains("old Imv runtime", ex.Message, StringComparison.Ordinal);
        // Moved aside as told, the silo starts on an empty file.
        File.Move(db, db + ".old");
        await using var harness = await ProviderHarness.OpenAsync(Options());
        var state = new GrainState<CounterState>(new CounterState());
        await harness.Storage.ReadStateAsync("state", GrainId.Create("machine", "press-7"), state);
        Assert.False(state.RecordExists);
    }

    [Fact]
    public void A_database_of_another_application_is_refused()
    {
        ClusterTests.Execute(_dir.File("grid.db"), "CREATE TABLE customers (id INTEGER PRIMARY KEY);");
        var e = Assert.Throws<InvalidOperationException>(() => new SqliteDatabase(Options()));
        Assert.Contains("not an Imv storage file", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task State_survives_closing_and_reopening(bool writeBehind)
    {
        string etag;
        await using (var store = new OpenStore(Options(writeBehind: writeBehind)))
        {
            etag = await store.Grains.WriteAsync("state", "machine/m1", new byte[] { 1, 2, 3 }, null, None);
            string other = await store.Grains.WriteAsync("other", "machine/m1", new byte[] { 7 }, null, None);
            await store.Grains.ClearAsync("other", "machine/m1", other, None);
        }
        await using (var store = new OpenStore(Options(writeBehind: writeBehind)))
        {
            var record = store.Grains.Read("state", "machine/m1");
            Assert.NotNull(record);
            Assert.Equal(new byte[] { 1, 2, 3 }, record.Data);
            Assert.Equal(etag, record.ETag.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var tombstone = store.Grains.Read("other", "machine/m1");
            Assert.NotNull(tombstone);
            Assert.Null(tombstone.Data);
            Assert.Equal(2, tombstone.ETag);
        }
    }

    [Fact]
    public async Task Group_commit_of_200_concurrent_writers_all_readable_after_reopen()
    {
        const int Writers = 200, WritesEach = 5;
        long batches;
        var acknowledged = new string?[Writers];
        await using (var store = new OpenStore(Options()))
        {
            using var start = new ManualResetEventSlim();
            var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                start.Wait();
                string? etag = null;
                for (int i = 0; i < WritesEach; i++)
                    etag = await store.Grains.WriteAsync("state", "machine/g" + w, Payload(w, i), etag, None);
                acknowledged[w] = etag;
            })).ToArray();
            start.Set();
            await Task.WhenAll(tasks);
            batches = store.Grains.CommittedBatches;
        }
        output.WriteLine($"{Writers * WritesEach} writes in {batches} group commits");
        Assert.True(batches < Writers * WritesEach, "writes were not grouped");
        await using (var store = new OpenStore(Options()))
        {
            for (int w = 0; w < Writers; w++)
            {
                var record = store.Grains.Read("state", "machine/g" + w);
                Assert.NotNull(record);
                Assert.Equal(acknowledged[w], record.ETag.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(Payload(w, WritesEach - 1), record.Data);
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task One_conflicting_write_in_a_batch_fails_alone(bool writeBehind)
    {
        await using var store = new OpenStore(Options(writeBehind: writeBehind));
        var grains = store.Grains;
        string etag = await grains.WriteAsync("state", "machine/target", new byte[] { 1 }, null, None);

        // Hold the writer connection so that every write below is queued before the writer can take any.
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var blocker = Task.Run(() => store.Database.ExecuteWrite(_ => { held.Set(); release.Wait(); return 0; }));
        Task<string> primer, stale, ok, second;
        List<Task<string>> good;
        long before;
        try
        {
            Assert.True(held.Wait(TimeSpan.FromSeconds(10)), "blocker did not get the writer connection");
            before = grains.CommittedBatches;
            // A write the writer has not seen yet: without write-behind it takes the connection, with write-behind
            // it reads the stored version (nothing cached for it), so the writer blocks on it either way.
            primer = grains.WriteAsync("state", "machine/primer", new byte[] { 0 }, "7", None);
            var waitStart = Stopwatch.StartNew();
            while (grains.QueuedWrites > 0)
            {
                Assert.True(waitStart.Elapsed < TimeSpan.FromSeconds(10), $"writer did not take the primer ({grains.QueuedWrites} queued)");
                await Task.Delay(1);
            }
            good = Enumerable.Range(0, 50).Select(i => grains.WriteAsync("state", "machine/b" + i, new byte[] { (byte)i }, null, None)).ToList();
            stale = grains.WriteAsync("state", "machine/target", new byte[] { 2 }, "999", None);
            ok = grains.WriteAsync("state", "machine/target", new byte[] { 4 }, etag, None);
            second = grains.WriteAsync("state", "machine/target", new byte[] { 5 }, etag, None); // stale after `ok` in the same batch
        }
        finally
        {
            release.Set();
        }
        await blocker.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<InconsistentStateException>(() => primer.WaitAsync(TimeSpan.FromSeconds(10)));

        var e = await Assert.ThrowsAsync<InconsistentStateException>(() => stale);
        Assert.Equal(etag, e.StoredEtag);
        Assert.Equal("999", e.CurrentEtag);
        Assert.Contains(store.Database.Path, e.Message, StringComparison.Ordinal);
        string okETag = await ok;
        await Assert.ThrowsAsync<InconsistentStateException>(() => second);
        await Task.WhenAll(good);
        // The primer's batch (a transaction without write-behind; no journal frame with it, nothing was accepted),
        // then all the rest in one group commit.
        Assert.Equal(before + (writeBehind ? 1 : 2), grains.CommittedBatches);
        var record = grains.Read("state", "machine/target");
        Assert.Equal(new byte[] { 4 }, record!.Data);
        Assert.Equal(okETag, record.ETag.ToString(System.Globalization.CultureInfo.InvariantCulture));
        for (int i = 0; i < 50; i++) Assert.Equal(new byte[] { (byte)i }, grains.Read("state", "machine/b" + i)!.Data);
    }

    [Fact]
    public async Task Closing_flushes_pending_writes()
    {
        var options = Options(window: TimeSpan.FromMilliseconds(200));
        var store = new OpenStore(options);
        var pending = Enumerable.Range(0, 100).Select(i => store.Grains.WriteAsync("state", "m/d" + i, new byte[] { 1 }, null, None)).ToList();
        await store.DisposeAsync();
        Assert.All(pending, t => Assert.True(t.IsCompletedSuccessfully));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.Grains.WriteAsync("state", "m/late", new byte[] { 1 }, null, None));
        await using var reopened = new OpenStore(Options());
        Assert.NotNull(reopened.Grains.Read("state", "m/d99"));
    }

    [Fact]
    public async Task An_invalid_row_is_reported_with_grain_state_and_file_and_never_overwritten()
    {
        await using (var store = new OpenStore(Options()))
            await store.Grains.WriteAsync("telemetry", "machine/bad", new byte[] { 1 }, null, None);
        ClusterTests.Execute(_dir.File("grid.db"), "UPDATE grain_state SET etag = NULL;");
        await using (var store = new OpenStore(Options()))
        {
            var e = Assert.Throws<InvalidDataException>(() => store.Grains.Read("telemetry", "machine/bad"));
            Assert.Contains("machine/bad", e.Message, StringComparison.Ordinal);
            Assert.Contains("'telemetry'", e.Message, StringComparison.Ordinal);
            Assert.Contains(_dir.File("grid.db"), e.Message, StringComparison.Ordinal);
            Assert.Contains("etag is NULL", e.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<InvalidDataException>(() => store.Grains.WriteAsync("telemetry", "machine/bad", new byte[] { 2 }, null, None));
            await Assert.ThrowsAsync<InvalidDataException>(() => store.Grains.ClearAsync("telemetry", "machine/bad", null, None));
            await store.Grains.WriteAsync("telemetry", "machine/good", new byte[] { 3 }, null, None); // other writes still work
        }
        Assert.Equal("01", ClusterTests.Scalar(_dir.File("grid.db"), "SELECT hex(data) FROM grain_state WHERE grain_id = 'machine/bad';"));
    }

    [Fact]
    public async Task Reminders_round_trip_by_grain_and_by_hash_range_and_survive_reopen()
    {
        var options = Options();
        var grains = Enumerable.Range(0, 64).Select(i => GrainId.Create("machine", "r" + i)).ToArray();
        var start = new DateTime(2026, 11, 22, 1, 0, 0, DateTimeKind.Utc);
        string? etag;
        await using (var registry = new SqliteStoreRegistry(NullLoggerFactory.Instance))
        {
            var table = Table(registry, options);
            await table.StartAsync();
            foreach (var g in grains)
                await table.UpsertRow(new ReminderEntry { GrainId = g, ReminderName = "maintenance", StartAt = start, Period = TimeSpan.FromHours(8) });
            etag = await table.UpsertRow(new ReminderEntry { GrainId = grains[0], ReminderName = "temp", StartAt = start, Period = TimeSpan.FromMinutes(1) });
            Assert.False(await table.RemoveRow(grains[0], "temp", "wrong"));
            Assert.True(await table.RemoveRow(grains[0], "temp", etag!));
            Assert.False(await table.RemoveRow(grains[0], "temp", etag!));
            etag = (await table.ReadRow(grains[0], "maintenance"))!.ETag;
            await table.StopAsync();
        }
        await using (var registry = new SqliteStoreRegistry(NullLoggerFactory.Instance))
        {
            var table = Table(registry, options);
            await table.StartAsync();
            var row = await table.ReadRow(grains[0], "maintenance");
            Assert.NotNull(row);
            Assert.Equal(grains[0], row.GrainId);
            Assert.Equal(start, row.StartAt);
            Assert.Equal(DateTimeKind.Utc, row.StartAt.Kind);
            Assert.Equal(TimeSpan.FromHours(8), row.Period);
            Assert.Equal(etag, row.ETag);
            Assert.Null(await table.ReadRow(grains[0], "temp"));
            Assert.Single((await table.ReadRows(grains[0])).Reminders);

            // Ranges (begin, end] of the uniform hash; begin >= end wraps around the ring.
            var hashes = grains.Select(g => g.GetUniformHashCode()).OrderBy(h => h).ToArray();
            uint mid = hashes[31];
            Assert.Equal(32, (await table.ReadRows(0, mid)).Reminders.Count + (hashes[0] == 0 ? 1 : 0));
            Assert.Equal(hashes.Count(h => h > mid), (await table.ReadRows(mid, uint.MaxValue)).Reminders.Count);
            var wrapped = (await table.ReadRows(hashes[40], hashes[10])).Reminders;
            Assert.Equal(hashes.Count(h => h > hashes[40] || h <= hashes[10]), wrapped.Count);
            Assert.All(wrapped, r => Assert.True(r.GrainId.GetUniformHashCode() > hashes[40] || r.GrainId.GetUniformHashCode() <= hashes[10]));
            Assert.Equal(64, (await table.ReadRows(mid, mid)).Reminders.Count); // the whole ring

            string? etag2 = await table.UpsertRow(new ReminderEntry { GrainId = grains[0], ReminderName = "maintenance", StartAt = start, Period = TimeSpan.FromHours(4) });
            Assert.NotEqual(etag, etag2);
            Assert.False(await table.RemoveRow(grains[0], "maintenance", etag!));
            Assert.Equal(TimeSpan.FromHours(4), (await table.ReadRow(grains[0], "maintenance"))!.Period);
            await table.TestOnlyClearTable();
            Assert.Empty((await table.ReadRows(0, 0)).Reminders);
            await table.StopAsync();
        }
    }

    private static SqliteReminderTable Table(SqliteStoreRegistry registry, SqliteStorageOptions options) =>
        new(new FixedOptions(options), registry);

    /// <summary>Write throughput through the Orleans provider (serializer, write-behind journal): a figure, not a gate.</summary>
    [Theory]
    [InlineData(SqliteSynchronousMode.Normal)]
    [InlineData(SqliteSynchronousMode.Full)]
    public async Task Provider_throughput_64_writers(SqliteSynchronousMode synchronous)
    {
        const int Writers = 64;
        var duration = TimeSpan.FromSeconds(2);
        var options = Options();
        options.Synchronous = synchronous;
        await using var harness = await ProviderHarness.OpenAsync(options);
        var storage = harness.Storage;
        long writes = 0;
        string note = new('x', 360);
        // Each writer updates 16 grains of its own in turn, as grains write their state.
        var states = Enumerable.Range(0, Writers).Select(_ => Enumerable.Range(0, 16).Select(_ => new GrainState<CounterState>(new CounterState { Note = note })).ToArray()).ToArray();
        var stopwatch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            int i = 0;
            while (stopwatch.Elapsed < duration)
            {
                int slot = i++ % 16;
                states[w][slot].State!.Value = i;
                await storage.WriteStateAsync("s", GrainId.Create("machine", "w" + w + "-" + slot), states[w][slot]);
                Interlocked.Increment(ref writes);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        stopwatch.Stop();
        double perSecond = writes / stopwatch.Elapsed.TotalSeconds;
        output.WriteLine($"provider, write-behind, synchronous={synchronous}, 64 writers x 16 grains, ~380-byte states: {writes} writes in {stopwatch.Elapsed.TotalSeconds:F2} s = {perSecond:F0} writes/s in {storage.Store.CommittedBatches} group commits");
        // The figure is printed, not gated (a loaded machine slows it): what is asserted is that every grain reads back
        // the last state written for it.
        Assert.True(writes > 0);
        for (int w = 0; w < Writers; w++)
            for (int slot = 0; slot < 16; slot++)
            {
                var read = new GrainState<CounterState>();
                await storage.ReadStateAsync("s", GrainId.Create("machine", "w" + w + "-" + slot), read);
                Assert.Equal(states[w][slot].State!.Value, read.RecordExists ? read.State!.Value : 0);
            }
    }

    private static byte[] Payload(int writer, int index)
    {
        var bytes = new byte[400];
        new Random(writer * 1000 + index).NextBytes(bytes);
        return bytes;
    }

    private sealed class FixedOptions(SqliteStorageOptions options) : IOptionsMonitor<SqliteStorageOptions>
    {
        public SqliteStorageOptions CurrentValue => options;

        public SqliteStorageOptions Get(string? name) => options;

        public IDisposable? OnChange(Action<SqliteStorageOptions, string?> listener) => null;
    }
}
