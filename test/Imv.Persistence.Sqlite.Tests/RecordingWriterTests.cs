using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Imv.Persistence.Sqlite.Recording;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Persistence.Sqlite.Tests;

/// <summary>The recorders' shared write side (<see cref="RecordingWriter"/>): retries, flush waiters, stop order and
/// counters, which both the SQLite and the PostgreSQL recorder rely on.</summary>
public sealed class RecordingWriterTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static TagUpdate Reading(string tag, double value, DateTimeOffset at) => new(tag, TagValue.FromDouble(value), TagQuality.Good, at, 1);

    private static RecordingWriter Writer(IRecordingStore store, ILogger logger, TimeSpan? flushInterval = null) =>
        new(store, new RecordingOptions { FlushInterval = flushInterval ?? TimeSpan.FromMilliseconds(20) }, "test store", "imv-recording-writer-test", TimeProvider.System, logger);

    [Fact]
    public async Task A_commit_that_fails_twice_is_retried_with_the_same_entries_and_a_flush_completes_after_it_with_nothing_lost_or_twice()
    {
        var store = new ChunkStore { TransientFailures = 2 };
        var log = new ListLogger();
        await using var writer = Writer(store, log);
        writer.Start();
        // Minute 0: three readings of speed; minute 3: one (minute 0 ends with it); a command between.
        writer.Intake.RecordReadings("m1", T0, [Reading("speed", 1, T0)], default);
        writer.Intake.RecordReadings("m1", T0.AddSeconds(10), [Reading("speed", 2, T0.AddSeconds(10))], default);
        writer.Intake.RecordCommand("m1", new CommandRecord(
            new CommandEnvelope("c1", IssuerKind.Avatar, "ann", "m1", "setpoint", null, TagValue.FromDouble(7), [], T0, T0.AddSeconds(30)),
            CommandDeliveryStatus.Issued, null, [new CommandTransition(CommandDeliveryStatus.Issued, T0.AddSeconds(15), null)]));
        writer.Intake.RecordReadings("m1", T0.AddSeconds(20), [Reading("speed", 3, T0.AddSeconds(20))], default);
        writer.Intake.RecordReadings("m1", T0.AddMinutes(3), [Reading("speed", 4, T0.AddMinutes(3))], default);

        await writer.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(2, store.Failed);
        Assert.Equal(5, writer.Committed);
        Assert.Equal(4, writer.CommittedReadings);
        // Each entry committed once, in the order handed over (the failed attempts' entries were not kept).
        Assert.Equal([T0, T0.AddSeconds(10), T0.AddSeconds(15), T0.AddSeconds(20), T0.AddMinutes(3)],
            store.Committed.Select(e => new DateTimeOffset(e.Ticks, TimeSpan.Zero)));
        Assert.Equal(2, log.Count(LogLevel.Error, "Recording test store: a commit of ", "entries failed; retrying in 1 s"));
        // The minute that ended is written once with its three readings, although the failed attempts wrote it too.
        var minute0 = Assert.Single(store.Minutes, m => m.Minute == T0.UtcTicks / TimeSpan.TicksPerMinute);
        var speed = MinuteRollup.ReadTag(minute0.Data, "speed"u8, minute0.Minute);
        Assert.Equal(3, speed!.Value.Count);
        Assert.Equal(6, speed.Value.Sum);
    }

    /// <summary>A tag schema (entries of version 3) is handed to the store with the first commit of the entries naming
    /// it, again when that commit is retried, and never again once stored: twins reporting the same tags share it.</summary>
    [Fact]
    public async Task A_tag_schema_made_before_a_failed_commit_is_stored_by_the_retry_and_once()
    {
        var store = new ChunkStore { TransientFailures = 1 };
        await using var writer = Writer(store, NullLogger.Instance);
        writer.Start();
        writer.Intake.RecordReadings("m1", T0, [Reading("spindle-speed-actual", 1, T0)], default);
        await writer.FlushAsync(CancellationToken.None).WaitAsync(Patience);
        writer.Intake.RecordReadings("m2", T0.AddSeconds(1), [Reading("spindle-speed-actual", 2, T0.AddSeconds(1))], default);
        writer.Intake.RecordReadings("m1", T0.AddSeconds(1), [Reading("spindle-speed-actual", 3, T0.AddSeconds(1))], default);
        await writer.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(1, store.Failed);
        Assert.Equal(2, store.SchemasOffered);
        var schema = Assert.Single(store.Schemas);
        Assert.Equal(["spindle-speed-actual"], schema.Names);
        Assert.Equal(3, store.Committed.Count);
        Assert.All(store.Committed, e => Assert.Equal(schema.Id, TagSchema.ReadId(e.Data.AsSpan(1, 16))));
        Assert.All(store.Committed, e => Assert.Equal(RecordingCodec.IndexedReadingsVersion, e.Data[0]));
    }

    /// <summary>A twin whose tag names keep changing makes a schema per new name (each a copy of the last, larger): the
    /// bound on the names kept stops it, logged once, and from then on its entries spell their names. Nothing is lost.</summary>
    [Fact]
    public async Task A_twin_whose_tag_names_keep_changing_fills_the_schemas_then_spells_its_names_logged_once()
    {
        var store = new ChunkStore();
        var log = new ListLogger();
        await using var writer = Writer(store, log);
        writer.Start();
        const int Entries = 800;
        for (int i = 0; i < Entries; i++)
            writer.Intake.RecordReadings("m1", T0.AddSeconds(i), [Reading("a-tag-name-that-changes-" + i, i, T0.AddSeconds(i))], default);
        await writer.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.True(writer.Schemas.IsFull);
        int spelled = store.Committed.Count(e => e.Data[0] == RecordingCodec.ReadingsVersion);
        Assert.InRange(spelled, 1, Entries - 1);
        Assert.Equal(Entries - spelled, store.Schemas.Count);
        Assert.Equal(Entries, store.Committed.Count);
        for (int i = 0; i < Entries; i++)
        {
            var e = store.Committed[i];
            Assert.Equal("a-tag-name-that-changes-" + i, Assert.Single(RecordingCodec.ReadReadings(e.Data, e.Ticks, writer.Schemas, null)).Tag);
        }
        Assert.Equal(1, log.Count(LogLevel.Warning, "Recording test store: the tag schemas hold", "spell their names from now on"));
    }

    [Fact]
    public async Task A_flush_with_nothing_queued_completes_and_one_before_the_writer_started_is_refused()
    {
        await using var writer = Writer(new ChunkStore(), NullLogger.Instance);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.FlushAsync(CancellationToken.None));
        Assert.Equal("Recording test store: not started.", refused.Message);
        writer.Start();
        await writer.FlushAsync(CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(0, writer.Committed);
        Assert.Equal(0, writer.Commits);
    }

    [Fact]
    public async Task A_commit_failing_for_good_stops_the_writer_logged_and_a_flush_says_so_instead_of_waiting()
    {
        var store = new ChunkStore { PermanentFailure = true };
        var log = new ListLogger();
        var writer = Writer(store, log);
        writer.Start();
        writer.Intake.RecordReadings("m1", T0, [Reading("speed", 1, T0)], default);
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.FlushAsync(CancellationToken.None).WaitAsync(Patience));
        Assert.Equal("Recording test store: the writer stopped.", failed.Message);
        Assert.Equal(0, writer.Committed);
        Assert.Equal(1, log.Count(LogLevel.Error, "Recording test store: the writer stopped; 0 entries dropped so far"));
        // Closing reports the writer's failure too (the recorders' DisposeAsync as before).
        await Assert.ThrowsAsync<InvalidDataException>(() => writer.DisposeAsync().AsTask());
    }

    [Fact]
    public async Task A_stop_cut_off_by_its_deadline_leaves_the_commit_in_progress_to_finish_before_the_store_is_closed()
    {
        var store = new ChunkStore { CommitGate = new SemaphoreSlim(0) };
        await using var writer = Writer(store, new ListLogger());
        writer.Start();
        writer.Intake.RecordReadings("m1", T0, [Reading("speed", 1, T0)], default);
        await store.CommitStarted.Task.WaitAsync(Patience);
        // The host's shutdown timeout: the stop gives up waiting while the commit still runs.
        using (var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(50)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.StopAsync(deadline.Token));
        var disposing = writer.DisposeAsync().AsTask();
        Assert.False(store.Closed);
        Assert.False(disposing.IsCompleted);
        store.CommitGate.Release();
        await disposing.WaitAsync(Patience);
        // Committed, then closed with the open minute written: nothing closed under the commit, nothing lost.
        Assert.Equal(["commit", "close"], store.Calls);
        Assert.Single(store.Committed);
        Assert.Single(store.Minutes);
    }

    [Fact]
    public async Task A_retention_pass_that_fails_is_logged_and_tried_again_at_the_next_while_the_writer_goes_on()
    {
        var store = new ChunkStore { RetentionFailures = 1, Expired = 3 };
        var log = new ListLogger();
        var clock = new ManualClock(T0);
        await using var writer = new RecordingWriter(store, new RecordingOptions { FlushInterval = TimeSpan.FromMilliseconds(20) },
            "test store", "imv-recording-writer-test", clock, log);
        writer.Start();
        for (int pass = 1; pass <= 2; pass++)
        {
            // Retention runs after a commit once its interval (1 minute by default) has passed.
            clock.Now = T0.AddMinutes(pass * 2);
            writer.Intake.RecordReadings("m1", clock.Now, [Reading("speed", pass, clock.Now)], default);
            await writer.FlushAsync(CancellationToken.None).WaitAsync(Patience);
            await Until(() => store.RetentionPasses == pass);
        }
        Assert.Equal(1, log.Count(LogLevel.Error, "Recording test store: retention failed; trying again in 00:01:00"));
        await Until(() => writer.DeletedByRetention == 3);
        Assert.Equal(1, log.Count(LogLevel.Information, "Recording test store: retention deleted 3 entries"));
        Assert.Equal(2, writer.Committed);
    }

    private static async Task Until(Func<bool> condition)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (!condition()) await Task.Delay(10, patience.Token);
    }

    [Fact]
    public async Task Stopping_commits_what_was_queued_without_a_flush_and_writes_the_open_minute()
    {
        var path = _dir.File("stop.recording.db");
        // A flush interval far beyond the test: only the stop can commit these.
        var options = new RecordingOptions { Path = path, FlushInterval = TimeSpan.FromSeconds(10) };
        await using (var recorder = new SqliteTwinRecorder(options, NullLogger<SqliteTwinRecorder>.Instance))
        {
            for (int s = 0; s < 5; s++) recorder.RecordReadings("m1", T0.AddSeconds(s), [Reading("speed", s, T0.AddSeconds(s))], default);
            await recorder.StopAsync(CancellationToken.None).WaitAsync(Patience);
            Assert.Equal(5, recorder.Committed);
            Assert.Equal(0, recorder.Dropped);
            // Stopped: nothing more is taken, and it is counted, not lost silently.
            recorder.RecordReadings("m1", T0.AddSeconds(6), [Reading("speed", 6, T0.AddSeconds(6))], default);
            Assert.Equal(1, recorder.Dropped);
        }
        await using var reopened = new SqliteTwinRecorder(options, NullLogger<SqliteTwinRecorder>.Instance);
        Assert.Equal([0.0, 1, 2, 3, 4], reopened.Read("m1", T0, T0.AddMinutes(1)).Select(e => e.Readings.Single().Value.AsDouble()));
        var minute = Assert.Single(reopened.ReadMinutes("m1", "speed", T0, T0.AddMinutes(1)));
        Assert.Equal(5, minute.Count);
        Assert.Equal(4, minute.Max);
    }

    /// <summary>A store that keeps what it is given in memory. Not a stand-in for a real provider (the SQLite recorder is
    /// used where a real one does the job): it is the writer's collaborator, and the only way to make a commit fail a
    /// given number of times and see exactly which entries and minute rows each attempt was handed.</summary>
    private sealed class ChunkStore : IRecordingStore
    {
        public int TransientFailures { get; set; }
        public bool PermanentFailure { get; set; }
        public int Failed { get; private set; }
        public List<(string TwinId, long Ticks, int Kind, byte[] Data)> Committed { get; } = [];
        public List<(string Twin, long Minute, byte[] Data)> Minutes { get; } = [];

        /// <summary>When set, a commit waits for it (a commit in progress the test controls).</summary>
        public SemaphoreSlim? CommitGate { get; init; }
        public TaskCompletionSource CommitStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ConcurrentQueue<string> Calls { get; } = new();
        public bool Closed => Calls.Contains("close");

        public TagSchema? FindSchema(UInt128 id) => null;

        public List<TagSchema> Schemas { get; } = [];
        public int SchemasOffered { get; private set; }

        public void Commit(List<RecordingQueue.Chunk> chunks, IReadOnlyList<TagSchema> schemas, MinuteRollup minutes)
        {
            SchemasOffered += schemas.Count;
            CommitStarted.TrySetResult();
            CommitGate?.Wait();
            // Everything is copied (chunks are reused once committed) and kept only if the attempt succeeds.
            var entries = chunks.SelectMany(c => c.Entries.Take(c.Count).Select(e => (e.Twin.Id, e.Ticks, e.Kind, c.Data.AsSpan(e.Offset, e.Length).ToArray()))).ToList();
            var rows = new List<(string, long, byte[])>();
            minutes.Write((twin, minute, data) => rows.Add((twin, minute, data.ToArray())));
            if (PermanentFailure) throw new InvalidDataException("the store is broken (test)");
            if (TransientFailures > 0)
            {
                TransientFailures--;
                Failed++;
                throw new IOException("the disk is full (test)");
            }
            Committed.AddRange(entries);
            Schemas.AddRange(schemas);
            Minutes.AddRange(rows);
            Calls.Enqueue("commit");
        }

        public int RetentionFailures { get; set; }
        public long Expired { get; set; }
        public int RetentionPasses => Volatile.Read(ref _retentionPasses);
        private int _retentionPasses;

        public bool IsTransient(Exception exception) => exception is IOException;

        public long DeleteExpired(long nowTicks)
        {
            Interlocked.Increment(ref _retentionPasses);
            if (RetentionFailures > 0)
            {
                RetentionFailures--;
                throw new IOException("the file is locked (test)");
            }
            return Expired;
        }

        public ValueTask CloseAsync(MinuteRollup minutes, CancellationToken cancellationToken)
        {
            Calls.Enqueue("close");
            minutes.Write((twin, minute, data) => Minutes.Add((twin, minute, data.ToArray())));
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>The writer's clock, moved by the test (retention is due by the clock, not by waiting a minute).</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        // Ticks, read by the writer's thread while the test moves them: a long is read and written whole.
        private long _ticks = start.UtcTicks;

        public DateTimeOffset Now
        {
            get => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _ticks, value.UtcTicks);
        }

        public override DateTimeOffset GetUtcNow() => Now;
    }

    /// <summary>Keeps what was logged, rendered, to assert on the writer's messages.</summary>
    private sealed class ListLogger : ILogger
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Message)> _entries = new();

        public int Count(LogLevel level, params string[] fragments) =>
            _entries.Count(e => e.Level == level && fragments.All(f => e.Message.Contains(f, StringComparison.Ordinal)));

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
