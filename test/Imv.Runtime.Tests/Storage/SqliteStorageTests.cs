using System.Diagnostics;
using Imv.Runtime.Reminders;
using Imv.Runtime.Storage;
using Imv.Runtime.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;

namespace Imv.Runtime.Tests.Storage;

public sealed class SqliteStorageTests(ITestOutputHelper output) : IDisposable
{
    private static CancellationToken None => CancellationToken.None;
    private readonly TempDirectory _dir = new();

    private SqliteStorageOptions Options(TimeSpan? window = null, int maxBatch = 4096) =>
        new() { Path = _dir.File("grid.db"), GroupCommitWindow = window ?? TimeSpan.FromMilliseconds(2), MaxBatchSize = maxBatch };

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Sqlite_opens_in_wal_mode_with_the_schema()
    {
        using var db = new SqliteDatabase(Options());
        Assert.Equal(SqliteDatabase.LatestSchemaVersion, db.SchemaVersion);
        string mode = db.ExecuteWrite(c =>
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode;";
            return (string)cmd.ExecuteScalar()!;
        });
        Assert.Equal("wal", mode);
        long sync = db.Read(c =>
        {
            using var cmd = c.Connection.CreateCommand();
            cmd.CommandText = "PRAGMA synchronous;";
            return (long)cmd.ExecuteScalar()!;
        });
        Assert.Equal(1, sync); // NORMAL
        output.WriteLine($"SQLite {db.ExecuteWrite(c => c.ServerVersion)} at {db.Path}");
        await Task.CompletedTask;
    }

    [Fact]
    public void Full_synchronous_is_applied()
    {
        var options = Options();
        options.Synchronous = SqliteSynchronousMode.Full;
        using var db = new SqliteDatabase(options);
        long sync = db.Read(c =>
        {
            using var cmd = c.Connection.CreateCommand();
            cmd.CommandText = "PRAGMA synchronous;";
            return (long)cmd.ExecuteScalar()!;
        });
        Assert.Equal(2, sync);
    }

    [Fact]
    public void Invalid_options_name_the_option_and_value()
    {
        var e = Assert.Throws<ArgumentException>(() => new SqliteDatabase(new SqliteStorageOptions { Path = "" }));
        Assert.Contains("Path", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new SqliteDatabase(new SqliteStorageOptions { Path = _dir.File("a.db"), MaxBatchSize = 0 }));
        Assert.Contains("MaxBatchSize", e.Message, StringComparison.Ordinal);
        Assert.Contains("(was 0)", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new SqliteDatabase(new SqliteStorageOptions { Path = _dir.File("a.db"), GroupCommitWindow = TimeSpan.FromSeconds(-1) }));
        Assert.Contains("GroupCommitWindow", e.Message, StringComparison.Ordinal);
        Assert.Contains("-00:00:01", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_newer_than_the_code_fails_clearly()
    {
        new SqliteDatabase(Options()).Dispose();
        using (var c = new SqliteConnection($"Data Source={_dir.File("grid.db")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "INSERT INTO schema_version (version, description, applied_at) VALUES (99, 'future', 'x');";
            cmd.ExecuteNonQuery();
        }
        var e = Assert.Throws<InvalidOperationException>(() => new SqliteDatabase(Options()));
        Assert.Contains(_dir.File("grid.db"), e.Message, StringComparison.Ordinal);
        Assert.Contains("99", e.Message, StringComparison.Ordinal);
        Assert.Contains($"version {SqliteDatabase.LatestSchemaVersion}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task State_survives_closing_and_reopening()
    {
        var grain = new GrainId("machine", "m1");
        string etag;
        await using (var storage = new SqliteGrainStorage(Options()))
        {
            etag = await storage.WriteAsync("state", grain, new byte[] { 1, 2, 3 }, null, 4, None);
            await storage.WriteAsync("other", grain, new byte[] { 7 }, null, 4, None);
            await storage.ClearAsync("other", grain, "1", 4, None);
        }
        await using (var storage = new SqliteGrainStorage(Options()))
        {
            var record = await storage.ReadAsync("state", grain, None);
            Assert.NotNull(record);
            Assert.Equal(new byte[] { 1, 2, 3 }, record.Data);
            Assert.Equal(etag, record.ETag);
            Assert.Equal(4, record.Epoch);
            Assert.Null(await storage.ReadAsync("other", grain, None));
            await storage.WriteAsync("state", grain, new byte[] { 4 }, etag, 4, None);
        }
    }

    [Fact]
    public async Task Group_commit_of_200_concurrent_writers_all_readable_after_reopen()
    {
        const int Writers = 200, WritesEach = 5;
        long batches;
        var acknowledged = new string?[Writers];
        await using (var storage = new SqliteGrainStorage(Options()))
        {
            using var start = new ManualResetEventSlim();
            var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
            {
                start.Wait();
                var grain = new GrainId("machine", "g" + w);
                string? etag = null;
                for (int i = 0; i < WritesEach; i++)
                    etag = await storage.WriteAsync("state", grain, Payload(w, i), etag, 1, None);
                acknowledged[w] = etag;
            })).ToArray();
            start.Set();
            await Task.WhenAll(tasks);
            batches = storage.CommittedBatches;
        }
        output.WriteLine($"{Writers * WritesEach} writes in {batches} transactions");
        Assert.True(batches < Writers * WritesEach, "writes were not grouped");
        await using (var storage = new SqliteGrainStorage(Options()))
        {
            for (int w = 0; w < Writers; w++)
            {
                var record = await storage.ReadAsync("state", new GrainId("machine", "g" + w), None);
                Assert.NotNull(record);
                Assert.Equal(acknowledged[w], record.ETag);
                Assert.Equal(Payload(w, WritesEach - 1), record.Data);
            }
        }
    }

    [Fact]
    public async Task One_conflicting_write_in_a_batch_fails_alone()
    {
        using var db = new SqliteDatabase(Options());
        await using var storage = new SqliteGrainStorage(db);
        var target = new GrainId("machine", "target");
        string etag = await storage.WriteAsync("state", target, new byte[] { 1 }, null, 1, None);

        // Hold the writer connection so that every write below is queued before the writer can take any.
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var blocker = Task.Run(() => db.ExecuteWrite(_ => { held.Set(); release.Wait(); return 0; }));
        Task<string> primer, stale, fenced, ok, second;
        List<Task<string>> good;
        long before;
        try
        {
            Assert.True(held.Wait(TimeSpan.FromSeconds(10)), "blocker did not get the writer connection");
            before = storage.CommittedBatches;
            primer = storage.WriteAsync("state", new GrainId("machine", "primer"), new byte[] { 0 }, null, 1, None);
            var waitStart = Stopwatch.StartNew();
            while (storage.QueuedWrites > 0) // the writer took the primer and waits for the connection
            {
                Assert.True(waitStart.Elapsed < TimeSpan.FromSeconds(10), $"writer did not take the primer ({storage.QueuedWrites} queued)");
                await Task.Delay(1);
            }
            good = Enumerable.Range(0, 50).Select(i => storage.WriteAsync("state", new GrainId("machine", "b" + i), new byte[] { (byte)i }, null, 1, None)).ToList();
            stale = storage.WriteAsync("state", target, new byte[] { 2 }, "999", 1, None);
            fenced = storage.WriteAsync("state", target, new byte[] { 3 }, etag, 0, None);
            ok = storage.WriteAsync("state", target, new byte[] { 4 }, etag, 1, None);
            second = storage.WriteAsync("state", target, new byte[] { 5 }, etag, 1, None); // stale after `ok` in the same batch
        }
        finally
        {
            release.Set();
        }
        await blocker.WaitAsync(TimeSpan.FromSeconds(10));
        await primer.WaitAsync(TimeSpan.FromSeconds(10));

        var e = await Assert.ThrowsAsync<InconsistentStateException>(() => stale);
        Assert.Equal(etag, e.StoredETag);
        Assert.Equal("999", e.CurrentETag);
        e = await Assert.ThrowsAsync<InconsistentStateException>(() => fenced);
        Assert.Contains("epoch", e.Message, StringComparison.Ordinal);
        string okETag = await ok;
        await Assert.ThrowsAsync<InconsistentStateException>(() => second);
        await Task.WhenAll(good);
        Assert.Equal(before + 2, storage.CommittedBatches); // the primer's transaction, then all the rest in one
        var record = await storage.ReadAsync("state", target, None);
        Assert.Equal(new byte[] { 4 }, record!.Data);
        Assert.Equal(okETag, record.ETag);
        for (int i = 0; i < 50; i++) Assert.Equal(new byte[] { (byte)i }, (await storage.ReadAsync("state", new GrainId("machine", "b" + i), None))!.Data);
    }

    [Fact]
    public async Task Dispose_flushes_pending_writes()
    {
        List<Task<string>> pending;
        var storage = new SqliteGrainStorage(Options(window: TimeSpan.FromMilliseconds(200)));
        pending = Enumerable.Range(0, 100).Select(i => storage.WriteAsync("state", new GrainId("m", "d" + i), new byte[] { 1 }, null, 1, None)).ToList();
        await storage.DisposeAsync();
        Assert.All(pending, t => Assert.True(t.IsCompletedSuccessfully));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => storage.WriteAsync("state", new GrainId("m", "late"), new byte[] { 1 }, null, 1, None));
        await using var reopened = new SqliteGrainStorage(Options());
        Assert.NotNull(await reopened.ReadAsync("state", new GrainId("m", "d99"), None));
    }

    [Fact]
    public async Task An_invalid_row_is_reported_with_grain_and_state_and_never_overwritten()
    {
        var grain = new GrainId("machine", "bad");
        await using (var storage = new SqliteGrainStorage(Options()))
            await storage.WriteAsync("telemetry", grain, new byte[] { 1 }, null, 1, None);
        using (var c = new SqliteConnection($"Data Source={_dir.File("grid.db")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE grain_state SET etag = NULL;";
            cmd.ExecuteNonQuery();
        }
        await using (var storage = new SqliteGrainStorage(Options()))
        {
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => storage.ReadAsync("telemetry", grain, None));
            Assert.Contains("machine/bad", e.Message, StringComparison.Ordinal);
            Assert.Contains("telemetry", e.Message, StringComparison.Ordinal);
            Assert.Contains("etag is NULL", e.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<InvalidDataException>(() => storage.WriteAsync("telemetry", grain, new byte[] { 2 }, null, 1, None));
            await Assert.ThrowsAsync<InvalidDataException>(() => storage.ClearAsync("telemetry", grain, null, 1, None));
            // Other writes still work.
            await storage.WriteAsync("telemetry", new GrainId("machine", "good"), new byte[] { 3 }, null, 1, None);
        }
        using (var c = new SqliteConnection($"Data Source={_dir.File("grid.db")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT hex(data) FROM grain_state WHERE grain_key = 'bad';";
            Assert.Equal("01", cmd.ExecuteScalar());
        }
    }

    [Fact]
    public async Task Reminders_round_trip_and_survive_reopen()
    {
        var grain = new GrainId("machine", "r1");
        var start = new DateTimeOffset(2026, 11, 22, 1, 0, 0, TimeSpan.FromHours(2));
        string etag;
        using (var db = new SqliteDatabase(Options()))
        {
            await using var storage = new SqliteGrainStorage(db);
            var reminders = new SqliteReminderTable(db);
            etag = await reminders.UpsertRowAsync(new ReminderEntry(grain, "maintenance", start, TimeSpan.FromHours(8)), None);
            string gone = await reminders.UpsertRowAsync(new ReminderEntry(grain, "temp", start, TimeSpan.FromMinutes(1)), None);
            await reminders.UpsertRowAsync(new ReminderEntry(new GrainId("machine", "r2"), "maintenance", start, TimeSpan.FromDays(1)), None);
            Assert.False(await reminders.RemoveRowAsync(grain, "temp", "wrong", None));
            Assert.True(await reminders.RemoveRowAsync(grain, "temp", gone, None));
            Assert.False(await reminders.RemoveRowAsync(grain, "temp", gone, None));
            // State writes share the file.
            await storage.WriteAsync("state", grain, new byte[] { 1 }, null, 1, None);
        }
        using (var db = new SqliteDatabase(Options()))
        {
            var reminders = new SqliteReminderTable(db);
            var row = await reminders.ReadRowAsync(grain, "maintenance", None);
            Assert.Equal(new ReminderEntry(grain, "maintenance", start, TimeSpan.FromHours(8), etag), row);
            Assert.Equal(start.UtcTicks, row!.StartAt.UtcTicks);
            Assert.Null(await reminders.ReadRowAsync(grain, "temp", None));
            Assert.Single(await reminders.ReadRowsAsync(grain, None));
            Assert.Equal(2, (await reminders.ReadAllAsync(None)).Count);
            string etag2 = await reminders.UpsertRowAsync(row with { Period = TimeSpan.FromHours(4) }, None);
            Assert.NotEqual(etag, etag2);
            Assert.False(await reminders.RemoveRowAsync(grain, "maintenance", etag, None));
            Assert.Equal(TimeSpan.FromHours(4), (await reminders.ReadRowAsync(grain, "maintenance", None))!.Period);
        }
    }

    [Fact]
    public async Task Memory_reminders_round_trip()
    {
        var table = new MemoryReminderTable();
        var grain = new GrainId("machine", "r1");
        var entry = new ReminderEntry(grain, "a", DateTimeOffset.UnixEpoch, TimeSpan.FromSeconds(1));
        string e1 = await table.UpsertRowAsync(entry, None);
        Assert.Equal(entry with { ETag = e1 }, await table.ReadRowAsync(grain, "a", None));
        Assert.False(await table.RemoveRowAsync(grain, "a", "nope", None));
        Assert.True(await table.RemoveRowAsync(grain, "a", e1, None));
        string e2 = await table.UpsertRowAsync(entry, None);
        Assert.NotEqual(e1, e2);
        Assert.False(await table.RemoveRowAsync(grain, "a", e1, None));
        Assert.Single(await table.ReadRowsAsync(grain, None));
        Assert.Single(await table.ReadAllAsync(None));
    }

    [Theory]
    [InlineData(2, SqliteSynchronousMode.Normal)]
    [InlineData(0, SqliteSynchronousMode.Normal)]
    [InlineData(2, SqliteSynchronousMode.Full)]
    public async Task Storage_throughput_64_writers_400_byte_records(int windowMs, SqliteSynchronousMode synchronous)
    {
        const int Writers = 64;
        var duration = TimeSpan.FromSeconds(2);
        var options = Options(window: TimeSpan.FromMilliseconds(windowMs));
        options.Synchronous = synchronous;
        await using var storage = new SqliteGrainStorage(options);
        long writes = 0;
        var payload = new byte[400];
        Random.Shared.NextBytes(payload);
        var stopwatch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var etags = new string?[16];
            int i = 0;
            while (stopwatch.Elapsed < duration)
            {
                // Each writer updates 16 records of its own in turn (an update load, as state write-behind is).
                int slot = i++ % 16;
                etags[slot] = await storage.WriteAsync("state", new GrainId("machine", "w" + w + "-" + slot), payload, etags[slot], 1, None);
                Interlocked.Increment(ref writes);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        stopwatch.Stop();
        double perSecond = writes / stopwatch.Elapsed.TotalSeconds;
        output.WriteLine($"64 writers, 400-byte records, synchronous={synchronous}, window {windowMs} ms: {writes} writes in {stopwatch.Elapsed.TotalSeconds:F2} s = {perSecond:F0} writes/s in {storage.CommittedBatches} transactions");
        Assert.True(perSecond > 500, $"{perSecond:F0} writes/s");
    }

    [Fact]
    public async Task Storage_throughput_open_loop_20000_queued_writes()
    {
        await using var storage = new SqliteGrainStorage(Options());
        var payload = new byte[400];
        Random.Shared.NextBytes(payload);
        for (int round = 0; round < 2; round++) // the first round creates the rows, the second updates them
        {
            var stopwatch = Stopwatch.StartNew();
            long before = storage.CommittedBatches;
            var tasks = new Task<string>[20_000];
            for (int i = 0; i < tasks.Length; i++)
                tasks[i] = storage.WriteAsync("state", new GrainId("machine", "o" + i), payload, round == 0 ? null : "1", 1, None);
            await Task.WhenAll(tasks);
            stopwatch.Stop();
            output.WriteLine($"open loop, {(round == 0 ? "inserts" : "updates")}: {tasks.Length} writes in {stopwatch.Elapsed.TotalSeconds:F2} s = {tasks.Length / stopwatch.Elapsed.TotalSeconds:F0} writes/s in {storage.CommittedBatches - before} transactions");
        }
    }

    private static byte[] Payload(int writer, int index)
    {
        var bytes = new byte[400];
        new Random(writer * 1000 + index).NextBytes(bytes);
        return bytes;
    }
}
