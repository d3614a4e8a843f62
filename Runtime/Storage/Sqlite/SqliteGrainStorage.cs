using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Runtime.Storage.Sqlite;

/// <summary>Grain state in SQLite (table <c>grain_state</c>) with group commit: concurrent writes and clears are
/// queued to one writer task that applies up to <see cref="SqliteStorageOptions.MaxBatchSize"/> of them in one
/// transaction, then completes each caller. A write whose ETag or epoch check fails is faulted alone with
/// <see cref="InconsistentStateException"/>; the rest of its batch commits. A call is acknowledged only after
/// its transaction committed. ETags are per-record version numbers; a clear keeps a tombstone row (data NULL,
/// next version, the clearing epoch) so a stale silo cannot recreate the record and versions are never reused.
/// With <see cref="SqliteStorageOptions.WriteBehind"/> (the default) a batch is committed as one journal row and
/// its records reach <c>grain_state</c> at the next checkpoint (see SqliteGrainStorage.WriteBehind.cs).
/// Reads see committed data.</summary>
public sealed partial class SqliteGrainStorage : IGrainStorage, Placement.IClusterGenerationSource, IDisposable, IAsyncDisposable
{
    /// <inheritdoc />
    public long NextGeneration() =>
        _database.ExecuteWrite(connection =>
        {
            var command = _database.WriteCommand(
                "INSERT INTO cluster_generation (id, generation) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET generation = generation + 1 RETURNING generation");
            command.Transaction = null;
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        });

    private const string SelectSql = """
        SELECT data, typeof(data), etag, typeof(etag), epoch, typeof(epoch) FROM grain_state
        WHERE state_name = $s AND grain_type = $t AND grain_key = $k;
        """;
    private const string CheckSql = """
        SELECT data IS NULL, etag, typeof(etag), epoch, typeof(epoch) FROM grain_state
        WHERE state_name = $s AND grain_type = $t AND grain_key = $k;
        """;
    // The two write statements check the ETag and the epoch themselves, so a write that passes costs one
    // statement; one that matches no row goes to CheckSql to find out why (and to report it).
    /// <summary>Writer believes no record exists: insert, or replace a tombstone.</summary>
    private const string InsertSql = """
        INSERT INTO grain_state (state_name, grain_type, grain_key, data, etag, epoch, updated_at)
        VALUES ($s, $t, $k, $d, 1, $p, $u)
        ON CONFLICT (state_name, grain_type, grain_key)
        DO UPDATE SET data = excluded.data, etag = grain_state.etag + 1, epoch = excluded.epoch, updated_at = excluded.updated_at
        WHERE grain_state.data IS NULL AND typeof(grain_state.etag) = 'integer' AND typeof(grain_state.epoch) = 'integer'
          AND grain_state.epoch <= excluded.epoch
        RETURNING etag;
        """;
    /// <summary>Writer holds an ETag: update the row that still has it.</summary>
    private const string UpdateSql = """
        UPDATE grain_state SET data = $d, etag = etag + 1, epoch = $p, updated_at = $u
        WHERE state_name = $s AND grain_type = $t AND grain_key = $k
          AND typeof(etag) = 'integer' AND etag = $e AND typeof(epoch) = 'integer' AND epoch <= $p
        RETURNING etag;
        """;
    private static readonly string[] KeyParameters = ["$s", "$t", "$k"];
    private static readonly string[] InsertParameters = ["$s", "$t", "$k", "$d", "$p", "$u"];
    private static readonly string[] UpdateParameters = ["$s", "$t", "$k", "$d", "$p", "$u", "$e"];

    private readonly SqliteDatabase _database;
    private readonly bool _ownsDatabase;
    private readonly ILogger _logger;
    private readonly Channel<PendingWrite> _queue;
    private readonly Task _writerLoop;
    private readonly int _maxBatchSize;
    private readonly TimeSpan _window;
    private int _disposed;

    /// <summary>Opens its own database from <paramref name="options"/> (disposed with the storage).</summary>
    public SqliteGrainStorage(SqliteStorageOptions options, ILogger? logger = null) : this(new SqliteDatabase(options), ownsDatabase: true, logger) { }

    /// <summary>Uses a shared database; it is disposed with the storage only when <paramref name="ownsDatabase"/>.
    /// With write-behind on, replays the journal a crash left behind before it returns.</summary>
    public SqliteGrainStorage(SqliteDatabase database, bool ownsDatabase = false, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _ownsDatabase = ownsDatabase;
        _logger = logger ?? NullLogger.Instance;
        _maxBatchSize = database.Options.MaxBatchSize;
        _window = database.Options.GroupCommitWindow;
        _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });
        if (database.Options.WriteBehind)
        {
            try
            {
                OpenWriteBehind();
            }
            catch
            {
                _ownerLock?.Dispose();
                if (ownsDatabase) database.Dispose();
                throw;
            }
        }
        _metrics = new SqliteStorageMetrics(this, database.Path);
        _writerLoop = Task.Run(WriterLoopAsync);
    }

    private readonly SqliteStorageMetrics _metrics;

    /// <summary>Transactions committed so far (for tests and metrics).</summary>
    public long CommittedBatches => Interlocked.Read(ref _committedBatches);

    private long _committedBatches;

    /// <summary>Writes queued and not yet taken by the writer (for tests).</summary>
    internal int QueuedWrites => Volatile.Read(ref _queued);

    private int _queued;

    /// <inheritdoc />
    public Task<GrainStateRecord?> ReadAsync(string stateName, GrainId grainId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (TryReadWriteBehind(stateName, grainId, out var cached)) return Task.FromResult(cached);
        var record = _database.Read(connection =>
        {
            var command = connection.Command(SelectSql, KeyParameters);
            SetKey(command, stateName, grainId);
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return null;
            string dataType = reader.GetString(1);
            long etag = ReadVersion(reader, 2, 3, "etag", stateName, grainId);
            long epoch = ReadVersion(reader, 4, 5, "epoch", stateName, grainId);
            if (dataType == "null") return null; // a tombstone left by ClearAsync
            if (dataType != "blob") throw Corrupt(stateName, grainId, $"data is of type {dataType}, not a blob");
            return new GrainStateRecord(reader.GetFieldValue<byte[]>(0), etag.ToString(CultureInfo.InvariantCulture), epoch);
        });
        return Task.FromResult(record);
    }

    /// <inheritdoc />
    public Task<string> WriteAsync(string stateName, GrainId grainId, ReadOnlyMemory<byte> data, string? expectedETag, long fencingEpoch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        return Enqueue(new PendingWrite(stateName, grainId, data, isClear: false, expectedETag, fencingEpoch), cancellationToken);
    }

    /// <inheritdoc />
    public Task ClearAsync(string stateName, GrainId grainId, string? expectedETag, long fencingEpoch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        return Enqueue(new PendingWrite(stateName, grainId, default, isClear: true, expectedETag, fencingEpoch), cancellationToken);
    }

    /// <summary>Flushes the queued writes, stops the writer, and closes the database if this storage owns it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        _metrics.Dispose();
        _ownerLock?.Dispose();
        if (_ownsDatabase) _database.Dispose();
    }

    /// <summary>Same as <see cref="DisposeAsync"/>, blocking.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private Task<string> Enqueue(PendingWrite write, CancellationToken cancellationToken)
    {
        // The token is honoured only until the write is queued: once queued it may commit at any moment.
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<string>(cancellationToken);
        Interlocked.Increment(ref _queued);
        if (Volatile.Read(ref _disposed) != 0 || !_queue.Writer.TryWrite(write))
        {
            Interlocked.Decrement(ref _queued);
            return Task.FromException<string>(new ObjectDisposedException(nameof(SqliteGrainStorage)));
        }
        return write.Task;
    }

    private async Task WriterLoopAsync()
    {
        var batch = new List<PendingWrite>(Math.Min(_maxBatchSize, 1024));
        var reader = _queue.Reader;
        int lastBatchSize = 1;
        while (true)
        {
            if (!reader.TryPeek(out _))
            {
                // Nothing queued: the idle writer moves a checkpoint on, or waits for writes (or a checkpoint's time).
                if (_checkpoint is not null) { RunCheckpointChunk(); continue; }
                if (CheckpointDue()) { StartCheckpoint(); continue; }
                if (!await WaitForWorkAsync(reader).ConfigureAwait(false)) break;
                continue;
            }
            Drain(reader, batch);
            // Fewer writes queued than the last batch held: more are probably on their way (their callers are
            // still being completed), so wait up to the window for as many as last time. A lone writer (last
            // batch of 1) never waits; a steady crowd is committed as soon as it has all queued again.
            int target = Math.Min(_maxBatchSize, lastBatchSize);
            if (batch.Count < target && _window > TimeSpan.Zero)
            {
                // A cancelled wait unregisters itself, so no waiter is left behind on the single-reader channel.
                using var window = new CancellationTokenSource(_window);
                while (batch.Count < target)
                {
                    var more = reader.WaitToReadAsync(window.Token).AsTask();
                    await ((Task)more).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    if (!more.IsCompletedSuccessfully || !more.Result) break;
                    Drain(reader, batch);
                }
                Drain(reader, batch);
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

    private void Drain(ChannelReader<PendingWrite> reader, List<PendingWrite> batch)
    {
        int taken = 0;
        while (batch.Count < _maxBatchSize && reader.TryRead(out var write))
        {
            batch.Add(write);
            taken++;
        }
        if (taken > 0) Interlocked.Add(ref _queued, -taken);
    }

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
        foreach (var write in batch)
        {
            if (write.Failure is { } failure) write.Fail(failure);
            else write.Complete();
        }
    }

    private static string Apply(PendingWrite write, SqliteCommand check, SqliteCommand insert, SqliteCommand update, long now)
    {
        SqliteCommand? command = null;
        if (write.ExpectedETag is null)
        {
            command = insert;
        }
        else if (long.TryParse(write.ExpectedETag, NumberStyles.None, CultureInfo.InvariantCulture, out long expected)
                 && string.Equals(expected.ToString(CultureInfo.InvariantCulture), write.ExpectedETag, StringComparison.Ordinal))
        {
            command = update;
            command.Parameters[6].Value = expected;
        }
        if (command is not null)
        {
            var p = command.Parameters;
            p[0].Value = write.StateName;
            p[1].Value = write.GrainId.Type;
            p[2].Value = write.GrainId.Key;
            p[3].Value = write.IsClear ? DBNull.Value : BlobOf(write.Data);
            p[4].Value = write.Epoch;
            p[5].Value = now;
            if (command.ExecuteScalar() is long newVersion) return newVersion.ToString(CultureInfo.InvariantCulture);
        }
        throw Refusal(write, check);
    }

    /// <summary>Finds out why a write matched no row: the exception to fail it with. Changes nothing.</summary>
    private static Exception Refusal(PendingWrite write, SqliteCommand check)
    {
        var stored = ReadStoredVersion(check, write.StateName, write.GrainId);
        return Refusal(write, stored);
    }

    /// <summary>The version columns of a stored row (<c>Exists</c> false when there is none). Throws
    /// <see cref="InvalidDataException"/> when they are invalid.</summary>
    private static StoredVersion ReadStoredVersion(SqliteCommand check, string stateName, GrainId grainId)
    {
        SetKey(check, stateName, grainId);
        using var reader = check.ExecuteReader();
        if (!reader.Read()) return default;
        bool tombstone = reader.GetInt64(0) != 0;
        long version = ReadVersion(reader, 1, 2, "etag", stateName, grainId);
        long epoch = ReadVersion(reader, 3, 4, "epoch", stateName, grainId);
        return new StoredVersion(true, tombstone, version, epoch);
    }

    private static InconsistentStateException Refusal(PendingWrite write, StoredVersion stored)
    {
        string? storedETag = stored.Exists && !stored.Tombstone ? stored.ETag.ToString(CultureInfo.InvariantCulture) : null;
        string what = write.IsClear ? "Clear" : "Write";
        if (stored.Exists && stored.Epoch > write.Epoch)
            return new InconsistentStateException(
                $"{what} of state '{write.StateName}' of grain {write.GrainId} refused: stored epoch {stored.Epoch} is newer than the writer's epoch {write.Epoch}.",
                storedETag, write.ExpectedETag);
        return new InconsistentStateException(
            $"{what} of state '{write.StateName}' of grain {write.GrainId} refused: stored ETag {Show(storedETag)}, writer's ETag {Show(write.ExpectedETag)}.",
            storedETag, write.ExpectedETag);
    }

    /// <summary>The version columns of a record: whether it exists, is a tombstone, its ETag and epoch.</summary>
    private readonly record struct StoredVersion(bool Exists, bool Tombstone, long ETag, long Epoch);

    private static byte[] BlobOf(ReadOnlyMemory<byte> data) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : data.ToArray();

    private static string Show(string? eTag) => eTag is null ? "(none)" : "'" + eTag + "'";

    private static void SetKey(SqliteCommand command, string stateName, GrainId grainId)
    {
        var p = command.Parameters;
        p[0].Value = stateName;
        p[1].Value = grainId.Type;
        p[2].Value = grainId.Key;
    }

    private static long ReadVersion(SqliteDataReader reader, int valueColumn, int typeColumn, string column, string stateName, GrainId grainId)
    {
        string type = reader.GetString(typeColumn);
        if (type != "integer") throw Corrupt(stateName, grainId, $"{column} is {(type == "null" ? "NULL" : "of type " + type)}");
        return reader.GetInt64(valueColumn);
    }

    private static InvalidDataException Corrupt(string stateName, GrainId grainId, string problem) =>
        new($"Stored state '{stateName}' of grain {grainId} is invalid: {problem}. The row is left as it is.");

    private sealed class PendingWrite(string stateName, GrainId grainId, ReadOnlyMemory<byte> data, bool isClear, string? expectedETag, long epoch)
        : TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        /// <summary>A request for a checkpoint (from <see cref="CheckpointAsync"/>), queued behind the writes before it.</summary>
        public static PendingWrite CheckpointRequest() => new("", default, default, isClear: false, null, 0) { IsCheckpointRequest = true };

        public bool IsCheckpointRequest { get; private init; }

        public bool CompleteIfCheckpointRequest()
        {
            if (!IsCheckpointRequest) return false;
            TrySetResult("");
            return true;
        }

        public string StateName { get; } = stateName;
        public GrainId GrainId { get; } = grainId;
        public ReadOnlyMemory<byte> Data { get; } = data;
        public bool IsClear { get; } = isClear;
        public string? ExpectedETag { get; } = expectedETag;
        public long Epoch { get; } = epoch;
        public string? NewETag { get; set; }
        public Exception? Failure { get; set; }

        public void Complete() => TrySetResult(NewETag!);

        public void Fail(Exception e) => TrySetException(e);
    }
}
