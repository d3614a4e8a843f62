using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Storage;

namespace Imv.Persistence.Sqlite;

/// <summary>The grain state records of one database file (table <c>grain_state</c>), serialized bytes per
/// (state name, grain id), with group commit: concurrent writes and clears are queued to one writer thread that
/// applies up to <see cref="SqliteStorageOptions.MaxBatchSize"/> of them together, then completes each caller. A
/// write whose ETag check fails is faulted alone with <see cref="InconsistentStateException"/>; the rest of its
/// batch commits. A call is acknowledged only after its batch is durable (committed, or with write-behind appended
/// to the journal). ETags are per-record version numbers; a clear keeps a tombstone row (data NULL, next version)
/// so versions are never reused. With <see cref="SqliteStorageOptions.WriteBehind"/> (the default) a batch is one
/// journal frame and its records reach <c>grain_state</c> at the next checkpoint (GrainStateStore.WriteBehind.cs).</summary>
internal sealed partial class GrainStateStore : IAsyncDisposable
{
    private const string SelectSql = """
        SELECT data, typeof(data), etag, typeof(etag) FROM grain_state WHERE state_name = $s AND grain_id = $g;
        """;
    private const string CheckSql = """
        SELECT data IS NULL, etag, typeof(etag) FROM grain_state WHERE state_name = $s AND grain_id = $g;
        """;
    // The two write statements check the ETag themselves, so a write that passes costs one statement; one that
    // matches no row goes to CheckSql to find out why (and to report it).
    /// <summary>Writer believes no record exists: insert, or replace a tombstone.</summary>
    private const string InsertSql = """
        INSERT INTO grain_state (state_name, grain_id, data, etag, updated_at) VALUES ($s, $g, $d, 1, $u)
        ON CONFLICT (state_name, grain_id)
        DO UPDATE SET data = excluded.data, etag = grain_state.etag + 1, updated_at = excluded.updated_at
        WHERE grain_state.data IS NULL AND typeof(grain_state.etag) = 'integer'
        RETURNING etag;
        """;
    /// <summary>Writer holds an ETag: update the row that still has it.</summary>
    private const string UpdateSql = """
        UPDATE grain_state SET data = $d, etag = etag + 1, updated_at = $u
        WHERE state_name = $s AND grain_id = $g AND typeof(etag) = 'integer' AND etag = $e
        RETURNING etag;
        """;
    private static readonly string[] KeyParameters = ["$s", "$g"];
    private static readonly string[] InsertParameters = ["$s", "$g", "$d", "$u"];
    private static readonly string[] UpdateParameters = ["$s", "$g", "$d", "$u", "$e"];

    /// <summary>The name of the writer thread (one per database file), as thread dumps and profilers show it.</summary>
    internal const string WriterThreadName = "imv-sqlite-writer";

    private readonly SqliteDatabase _database;
    private readonly SqliteStorageOptions _options;
    private readonly ILogger _logger;
    private readonly WriteQueue _queue = new();
    // Completed (asynchronously: whoever awaits it must not run on the writer thread) when the writer thread ends.
    private readonly TaskCompletionSource _writerDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _maxBatchSize;
    private readonly TimeSpan _window;
    private readonly SqliteStorageMetrics _metrics;
    private int _disposed;
    private long _committedBatches;

    /// <summary>Stores grain state in <paramref name="database"/> (which it does not own) with the grain-state
    /// settings of <paramref name="options"/>. With write-behind on, replays the journal a crash left behind
    /// before it returns.</summary>
    public GrainStateStore(SqliteDatabase database, SqliteStorageOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _maxBatchSize = options.MaxBatchSize;
        _window = options.GroupCommitWindow;
        if (options.WriteBehind)
        {
            try
            {
                OpenWriteBehind();
            }
            catch
            {
                _ownerLock?.Dispose();
                throw;
            }
        }
        _metrics = new SqliteStorageMetrics(this, database.Path);
        new Thread(WriterThread) { IsBackground = true, Name = WriterThreadName }.Start();
    }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath => _database.Path;

    /// <summary>Group commits so far (journal frames with write-behind, transactions without).</summary>
    public long CommittedBatches => Interlocked.Read(ref _committedBatches);

    /// <summary>Writes queued and not yet taken by the writer (for tests).</summary>
    public int QueuedWrites => _queue.Count;

    /// <summary>Reads a record: null when none is stored; a tombstone (left by a clear) has null data.
    /// Throws <see cref="InvalidDataException"/> naming the record and the file when the row is invalid.</summary>
    public StoredState? Read(string stateName, string grainId)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentNullException.ThrowIfNull(grainId);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (TryReadWriteBehind(stateName, grainId, out var cached)) return cached;
        return _database.Read(connection =>
        {
            var command = connection.Command(SelectSql, KeyParameters);
            SetKey(command, stateName, grainId);
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            string dataType = reader.GetString(1);
            long etag = ReadVersion(reader, 2, 3, stateName, grainId);
            if (dataType == "null") return new StoredState(null, etag); // a tombstone left by a clear
            if (dataType != "blob") throw Corrupt(stateName, grainId, $"data is of type {dataType}, not a blob");
            return new StoredState(reader.GetFieldValue<byte[]>(0), etag);
        });
    }

    /// <summary>Writes a record and returns its new ETag. <paramref name="expectedETag"/> is the ETag the writer
    /// read (null: it believes no record exists, or only a tombstone). The caller must not change
    /// <paramref name="data"/> until the task completes; with <paramref name="handedOver"/> it never changes it again (a
    /// whole array nothing else holds), and the store keeps it as the record's bytes instead of a copy.</summary>
    public Task<string> WriteAsync(string stateName, string grainId, ReadOnlyMemory<byte> data, string? expectedETag, CancellationToken cancellationToken, bool handedOver = false)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentNullException.ThrowIfNull(grainId);
        return Enqueue(new PendingWrite(stateName, grainId, data, isClear: false, expectedETag) { HandedOver = handedOver }, cancellationToken);
    }

    /// <summary>Clears a record under the same rules as <see cref="WriteAsync"/>, leaving a tombstone; returns the
    /// tombstone's ETag.</summary>
    public Task<string> ClearAsync(string stateName, string grainId, string? expectedETag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        ArgumentNullException.ThrowIfNull(grainId);
        return Enqueue(new PendingWrite(stateName, grainId, default, isClear: true, expectedETag), cancellationToken);
    }

    /// <summary>Flushes the queued writes, finishes with a checkpoint (write-behind), and stops the writer. The
    /// database stays open (its owner closes it).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Complete();
        await _writerDone.Task.ConfigureAwait(false);
        _metrics.Dispose();
        _ownerLock?.Dispose();
    }

    private Task<string> Enqueue(PendingWrite write, CancellationToken cancellationToken)
    {
        // The token is honoured only until the write is queued: once queued it may commit at any moment.
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<string>(cancellationToken);
        if (Volatile.Read(ref _disposed) != 0 || !_queue.TryAdd(write))
        {
            return Task.FromException<string>(new ObjectDisposedException(nameof(GrainStateStore), $"The SQLite grain storage of '{_database.Path}' is closed."));
        }
        return write.Task;
    }

    private void WriterThread()
    {
        try
        {
            WriterLoop();
            _writerDone.TrySetResult();
        }
        catch (Exception e)
        {
            // A writer that died must not leave callers waiting for ever: what is queued fails with the cause, and so
            // does every later write (the queue is completed). The store is unusable from here; closing it reports it.
            _logger.LogCritical(e, "The SQLite grain storage writer of {Path} stopped; writes fail until the silo restarts", _database.Path);
            _queue.Complete();
            var left = new List<PendingWrite>();
            _queue.Drain(left, int.MaxValue);
            foreach (var write in left) write.Fail(e);
            _writerDone.TrySetException(e);
        }
    }

    private void WriterLoop()
    {
        var batch = new List<PendingWrite>(Math.Min(_maxBatchSize, 1024));
        int lastBatchSize = 1;
        while (true)
        {
            if (_queue.Count == 0)
            {
                // Nothing queued: the idle writer moves a checkpoint on, or waits for writes (or a checkpoint's time).
                if (_checkpoint is not null) { RunCheckpointChunk(); continue; }
                if (CheckpointDue()) { StartCheckpoint(); continue; }
                if (RotationDue()) { RotateCleanVersions(); continue; }
                if (!WaitForWork()) break;
                continue;
            }
            Drain(batch);
            if (batch.Count == 0) continue;
            // Fewer writes queued than the last batch held: more are probably on their way (their callers are
            // still being completed), so wait up to the window for as many as last time. A lone writer (last
            // batch of 1) never waits; a steady crowd is committed as soon as it has all queued again.
            int target = Math.Min(_maxBatchSize, lastBatchSize);
            if (batch.Count < target && _window > TimeSpan.Zero)
            {
                long deadline = Stopwatch.GetTimestamp() + (long)(_window.TotalSeconds * Stopwatch.Frequency);
                while (batch.Count < target)
                {
                    var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                    if (left <= TimeSpan.Zero || _queue.Wait(left) != WriteQueue.WaitOutcome.Writes) break;
                    Drain(batch);
                }
            }
            lastBatchSize = Math.Max(1, batch.Count);
            if (_cache is null) CommitBatch(batch);
            else CommitToJournal(batch);
            batch.Clear();
            // One checkpoint transaction per journal commit: a checkpoint advances under load without holding
            // acknowledgements back for more than one chunk.
            if (_checkpoint is not null) RunCheckpointChunk();
            else if (CheckpointDue()) StartCheckpoint();
        }
        if (_cache is not null) FinalCheckpoint();
    }

    private void Drain(List<PendingWrite> batch) => _queue.Drain(batch, _maxBatchSize);

    private void CommitBatch(List<PendingWrite> batch)
    {
        // Without write-behind every acknowledged write is already in grain_state: a checkpoint request is done.
        if (batch.RemoveAll(static w => w.CompleteIfCheckpointRequest()) > 0 && batch.Count == 0) return;
        try
        {
            _database.ExecuteWrite(connection =>
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                var check = _database.WriteCommand(CheckSql, KeyParameters);
                var insert = _database.WriteCommand(InsertSql, InsertParameters);
                var update = _database.WriteCommand(UpdateSql, UpdateParameters);
                check.Transaction = transaction;
                insert.Transaction = transaction;
                update.Transaction = transaction;
                long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                foreach (var write in batch)
                {
                    try
                    {
                        write.NewETag = Apply(write, check, insert, update, now);
                    }
                    catch (Exception e) when (e is InconsistentStateException or InvalidDataException)
                    {
                        write.Failure = e; // this write alone fails; it changed nothing
                    }
                }
                transaction.Commit();
                return 0;
            });
            Interlocked.Increment(ref _committedBatches);
        }
        catch (Exception e)
        {
            // The transaction failed as a whole (I/O error, disk full, database closed): nothing of it is stored.
            foreach (var write in batch) write.Fail(e);
            return;
        }
        BatchCompletion.Answer(batch);
    }

    private string Apply(PendingWrite write, SqliteCommand check, SqliteCommand insert, SqliteCommand update, long now)
    {
        SqliteCommand? command = null;
        if (write.ExpectedETag is null)
        {
            command = insert;
        }
        else if (TryParseETag(write.ExpectedETag, out long expected))
        {
            command = update;
            command.Parameters[4].Value = expected;
        }
        if (command is not null)
        {
            var p = command.Parameters;
            p[0].Value = write.StateName;
            p[1].Value = write.GrainId;
            p[2].Value = write.IsClear ? DBNull.Value : write.DataAsArray();
            p[3].Value = now;
            if (command.ExecuteScalar() is long newVersion) return newVersion.ToString(CultureInfo.InvariantCulture);
        }
        throw Refusal(write, ReadStoredVersion(check, write.StateName, write.GrainId));
    }

    /// <summary>The version columns of a stored row (<c>Exists</c> false when there is none). Throws
    /// <see cref="InvalidDataException"/> when they are invalid.</summary>
    private StoredVersion ReadStoredVersion(SqliteCommand check, string stateName, string grainId)
    {
        SetKey(check, stateName, grainId);
        using var reader = check.ExecuteReader();
        if (!reader.Read()) return default;
        bool tombstone = reader.GetInt64(0) != 0;
        long version = ReadVersion(reader, 1, 2, stateName, grainId);
        return new StoredVersion(true, tombstone, version);
    }

    private InconsistentStateException Refusal(PendingWrite write, StoredVersion stored)
    {
        string? storedETag = stored.Exists ? stored.ETag.ToString(CultureInfo.InvariantCulture) : null;
        string what = write.IsClear ? "Clear" : "Write";
        string storedText = !stored.Exists ? "no record" : stored.Tombstone ? $"a cleared record (ETag '{storedETag}')" : $"ETag '{storedETag}'";
        return new InconsistentStateException(
            $"{what} of state '{write.StateName}' of grain {write.GrainId} in SQLite database '{_database.Path}' refused: " +
            $"stored {storedText}, the writer's ETag {Show(write.ExpectedETag)}.",
            storedETag, write.ExpectedETag);
    }

    private static bool TryParseETag(string eTag, out long version) =>
        long.TryParse(eTag, NumberStyles.None, CultureInfo.InvariantCulture, out version)
        && string.Equals(version.ToString(CultureInfo.InvariantCulture), eTag, StringComparison.Ordinal);

    private static string Show(string? eTag) => eTag is null ? "(none)" : "'" + eTag + "'";

    private static void SetKey(SqliteCommand command, string stateName, string grainId)
    {
        var p = command.Parameters;
        p[0].Value = stateName;
        p[1].Value = grainId;
    }

    private long ReadVersion(SqliteDataReader reader, int valueColumn, int typeColumn, string stateName, string grainId)
    {
        string type = reader.GetString(typeColumn);
        if (type != "integer") throw Corrupt(stateName, grainId, $"etag is {(type == "null" ? "NULL" : "of type " + type)}");
        long version = reader.GetInt64(valueColumn);
        if (version < 1) throw Corrupt(stateName, grainId, $"etag {version} is not a version");
        return version;
    }

    /// <summary>The exception for an invalid stored record: names the state, the grain, the file and the problem.</summary>
    public InvalidDataException Corrupt(string stateName, string grainId, string problem) =>
        new($"Stored state '{stateName}' of grain {grainId} in SQLite database '{_database.Path}' is invalid: {problem}. The row is left as it is.");
}
