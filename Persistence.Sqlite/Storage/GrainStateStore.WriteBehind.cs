using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

using Orleans.Storage;

namespace Imv.Persistence.Sqlite;

// Write-behind: why it exists. A grain that is written often (a machine twin taking telemetry) rewrites its
// whole row each time; rows of many grains spread over the B-tree, so a group commit of N writes dirties ~N
// distinct pages and the WAL grows by a whole page per write (then the page is copied again into the database
// at the WAL checkpoint). With write-behind a group commit is one frame appended to a journal file (the batch's
// records back to back: sequential bytes, one write call), and a checkpoint writes each grain's newest record to
// grain_state once per interval, however often it was written in between.
//
// Invariants:
// - _cache holds every record acknowledged but not yet in grain_state ("dirty"), with its data; reads use it.
// - _cleanNew and _cleanOld hold the versions of records a checkpoint wrote to grain_state, by key fingerprint, so
//   that the ETag check of the next write never has to read the table. They are two generations: each checkpoint
//   (and an idle writer once per checkpoint interval) drops _cleanOld and ages _cleanNew into it, so a record not
//   written again within one to two intervals is forgotten (an idle grain then costs nothing here; its next write
//   reads its version from the table once). Lookups: this batch, _cache, _cleanNew, _cleanOld, the table.
// - Every journal record is either in grain_state already or its grain's newer record is in _cache.
//   A checkpoint snapshots the dirty keys and rotates the journal to a new segment, writes each key's current
//   record, and only then deletes the segments before the new one.
// - Only the writer task changes _cache (so it reads it without the lock); readers take the lock. The clean
//   generations are the writer task's alone.
internal sealed partial class GrainStateStore
{
    private const string CheckpointUpsertSql = """
        INSERT INTO grain_state (state_name, grain_id, data, etag, updated_at)
        VALUES ($s, $g, $d, $e, $u)
        ON CONFLICT (state_name, grain_id)
        DO UPDATE SET data = excluded.data, etag = excluded.etag, updated_at = excluded.updated_at
        WHERE typeof(grain_state.etag) = 'integer' AND grain_state.etag < excluded.etag
        RETURNING etag;
        """;
    private static readonly string[] CheckpointParameters = ["$s", "$g", "$d", "$e", "$u"];

    /// <summary>Clean versions kept in memory at most; past it a checkpoint forgets them (writes then read the
    /// version from the table once).</summary>
    private const int MaxCachedVersions = 1_000_000;

    private Dictionary<StateFingerprint, CachedRecord>? _cache;
    // Clean versions: the ETag, complemented for a tombstone (ETags are positive).
    private Dictionary<StateFingerprint, long> _cleanNew = [], _cleanOld = [];
    private long _lastRotation = Stopwatch.GetTimestamp();
    private FileStream? _ownerLock;
    private readonly ArrayBufferWriter<byte> _journal = new();
    private readonly Dictionary<StateFingerprint, CachedRecord> _staged = [];
    private readonly List<PendingWrite> _checkpointRequests = [];
    private WriteBehindJournal? _journalFile;
    private long _dirtySince;
    private CheckpointRun? _checkpoint;
    private long _checkpoints;
    private long _recovered;

    /// <summary>Write-behind: records acknowledged and not yet written to <c>grain_state</c>; read from another
    /// thread it is an estimate.</summary>
    public int DirtyRecords => _cache?.Count ?? 0;

    /// <summary>Write-behind: bytes appended to the journal since the last checkpoint started.</summary>
    public long JournalBytes => _journalFile?.Length ?? 0;

    /// <summary>Write-behind: versions of records in grain_state held in memory (both generations); read from
    /// another thread it is an estimate.</summary>
    public int CleanVersions => _cleanNew.Count + _cleanOld.Count;

    /// <summary>Write-behind: checkpoints completed since the storage opened.</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>Write-behind: time the writer spent committing journal frames (checks, encoding, the write).</summary>
    public TimeSpan JournalCommitTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _journalCommitTicks));

    /// <summary>Write-behind: time the writer spent on checkpoint transactions.</summary>
    public TimeSpan CheckpointTime => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _checkpointTicks));

    private long _journalCommitTicks, _checkpointTicks;

    /// <summary>Write-behind: journal records replayed into <c>grain_state</c> when the storage opened (left by a crash).</summary>
    public long RecoveredRecords => _recovered;

    /// <summary>Writes every record acknowledged before the call to <c>grain_state</c> and empties the journal
    /// of them. Without write-behind it completes once the writes queued before it are committed.</summary>
    public Task CheckpointAsync(CancellationToken cancellationToken)
    {
        // Queued like a write (behind the writes before it); the wait for it can be cancelled, the checkpoint not.
        return Enqueue(PendingWrite.CheckpointRequest(), cancellationToken).WaitAsync(cancellationToken);
    }

    private void OpenWriteBehind()
    {
        string lockPath = _database.Path + "-writebehind.lock";
        try
        {
            _ownerLock = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new InvalidOperationException(
                $"SQLite database '{_database.Path}' is already used with write-behind by another storage (lock file '{lockPath}' is held). " +
                "Write-behind needs one owner per file: stop the other silo or process, or point this one at another file.", e);
        }
        _cache = [];
        var segments = WriteBehindJournal.Segments(_database.Path);
        Recover(segments);
        _journalFile = new WriteBehindJournal(_database.Path, _options.Synchronous == SqliteSynchronousMode.Full,
            segments.Count == 0 ? 0 : segments[^1].Number);
    }

    /// <summary>Applies the journal a crash left behind to grain_state in one transaction, then deletes it.</summary>
    private void Recover(List<(int Number, string Path)> segments)
    {
        if (segments.Count == 0) return;
        var newest = new Dictionary<StateKey, StateJournalRecord>();
        foreach (var record in WriteBehindJournal.ReadAll(segments, (path, offset) => LogTornTail(_logger, path, offset)))
        {
            var key = new StateKey(record.StateName, record.GrainId);
            if (!newest.TryGetValue(key, out var known) || known.ETag < record.ETag) newest[key] = record;
        }
        _database.ExecuteWrite(connection =>
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            var (upsert, check) = CheckpointCommands(transaction);
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var record in newest.Values)
            {
                if (Upsert(upsert, record.StateName, record.GrainId, record.Data, record.ETag, now)) continue;
                // Not applied: the stored row is as new or newer (a checkpoint wrote it before the crash), or it is
                // invalid, which ReadStoredVersion reports; the journal then stays for an operator.
                ReadStoredVersion(check, record.StateName, record.GrainId);
            }
            transaction.Commit();
            return 0;
        });
        foreach (var (_, path) in segments) File.Delete(path);
        _recovered = newest.Count;
        LogRecovered(_logger, newest.Count, segments.Count, _database.Path);
    }

    private bool TryReadWriteBehind(string stateName, string grainId, out StoredState? record)
    {
        record = null;
        if (_cache is null) return false;
        var fingerprint = StateFingerprint.Of(stateName, grainId);
        CachedRecord? dirty;
        lock (_cache)
        {
            if (!_cache.TryGetValue(fingerprint, out dirty)) return false;
        }
        // Fingerprints are seeded per process and 128 bits wide; the key is still compared before data is served.
        if (!dirty.Is(stateName, grainId)) return false;
        // A record is never changed once cached (a newer write replaces the object), so it is read outside the lock.
        record = new StoredState(dirty.Data is null ? null : (byte[])dirty.Data.Clone(), dirty.ETag);
        return true;
    }

    /// <summary>Checks each write against the newest version (this batch, the cache, then the table), appends
    /// the accepted ones to one journal row, commits, and then makes them visible and acknowledges them.</summary>
    private void CommitToJournal(List<PendingWrite> batch)
    {
        var cache = _cache!;
        long started = Stopwatch.GetTimestamp();
        _journal.ResetWrittenCount();
        _staged.Clear();
        int accepted = 0;
        foreach (var write in batch)
        {
            if (write.IsCheckpointRequest) _checkpointRequests.Add(write);
        }
        try
        {
            _database.ExecuteWrite(connection =>
            {
                // Reads of versions not in the cache only: no transaction needed, the writer connection is ours.
                var check = _database.WriteCommand(CheckSql, KeyParameters);
                check.Transaction = null;
                foreach (var write in batch)
                {
                    if (write.IsCheckpointRequest) continue;
                    try
                    {
                        var key = StateFingerprint.Of(write.StateName, write.GrainId);
                        var stored = CurrentVersion(cache, key, write, check);
                        long newETag = Accept(write, stored);
                        var record = new CachedRecord(write.StateName, write.GrainId, write.IsClear ? null : write.DataToKeep(), newETag);
                        StateJournalCodec.Write(_journal, write.StateName, write.GrainId, record.Data, record.Data is null, newETag);
                        _staged[key] = record;
                        write.NewETag = newETag.ToString(CultureInfo.InvariantCulture);
                        accepted++;
                    }
                    catch (Exception e) when (e is InconsistentStateException or InvalidDataException)
                    {
                        write.Failure = e; // this write alone fails; it changed nothing
                    }
                }
                return 0;
            });
            if (accepted > 0)
            {
                _journalFile!.Append(_journal.WrittenSpan, accepted);
                Interlocked.Increment(ref _committedBatches);
            }
        }
        catch (Exception e)
        {
            // Nothing of the batch reached the journal (I/O error, disk full, database closed): fail it whole.
            foreach (var write in batch) if (!write.IsCheckpointRequest) write.Fail(e);
            _staged.Clear();
            return;
        }
        if (_staged.Count > 0)
        {
            lock (cache)
            {
                foreach (var (key, record) in _staged) cache[key] = record;
            }
            if (_dirtySince == 0) _dirtySince = Stopwatch.GetTimestamp();
            _staged.Clear();
        }
        BatchCompletion.Answer(batch);
        Interlocked.Add(ref _journalCommitTicks, Stopwatch.GetTimestamp() - started);
        if (_checkpointRequests.Count > 0 && _checkpoint is null) StartCheckpoint();
    }

    private StoredVersion CurrentVersion(Dictionary<StateFingerprint, CachedRecord> cache, StateFingerprint key, PendingWrite write, SqliteCommand check)
    {
        if (_staged.TryGetValue(key, out var staged)) return staged.Version;
        if (cache.TryGetValue(key, out var dirty)) return dirty.Version;
        if (_cleanNew.TryGetValue(key, out long clean) || _cleanOld.TryGetValue(key, out clean))
            return clean < 0 ? new StoredVersion(true, true, ~clean) : new StoredVersion(true, false, clean);
        return ReadStoredVersion(check, write.StateName, write.GrainId);
    }

    /// <summary>Ages the clean versions by one generation (see the invariants above); gives an emptied dirty
    /// table's memory back.</summary>
    private void RotateCleanVersions()
    {
        _cleanOld = _cleanNew;
        _cleanNew = [];
        _lastRotation = Stopwatch.GetTimestamp();
        var cache = _cache!;
        if (cache.Count == 0 && cache.EnsureCapacity(0) > 1024) lock (cache) cache.TrimExcess();
    }

    private bool RotationDue() =>
        (_cleanNew.Count > 0 || _cleanOld.Count > 0) && Stopwatch.GetElapsedTime(_lastRotation) >= _options.CheckpointInterval;

    /// <summary>The same rules as the statements of the direct path: no ETag replaces nothing or a tombstone;
    /// an ETag must match the stored version. Returns the new version.</summary>
    private long Accept(PendingWrite write, StoredVersion stored)
    {
        if (write.ExpectedETag is null)
        {
            if (!stored.Exists || stored.Tombstone) return stored.Exists ? stored.ETag + 1 : 1;
        }
        else if (TryParseETag(write.ExpectedETag, out long expected) && stored.Exists && stored.ETag == expected)
        {
            return expected + 1;
        }
        throw Refusal(write, stored);
    }

    private bool CheckpointDue()
    {
        if (_cache is null) return false;
        if (_checkpointRequests.Count > 0) return true;
        if (_journalFile!.Length >= _options.CheckpointJournalBytes) return true;
        return _dirtySince != 0 && Stopwatch.GetElapsedTime(_dirtySince) >= _options.CheckpointInterval;
    }

    private void StartCheckpoint()
    {
        var keys = new List<StateFingerprint>(_cache!.Count);
        keys.AddRange(_cache!.Keys);
        int closedSegment;
        try
        {
            closedSegment = _journalFile!.Rotate();
        }
        catch (IOException e)
        {
            // No new segment: keep appending to the current one and try again on schedule.
            LogCheckpointFailed(_logger, e, _database.Path);
            foreach (var request in _checkpointRequests) request.Fail(e);
            _checkpointRequests.Clear();
            _dirtySince = Stopwatch.GetTimestamp();
            return;
        }
        _checkpoint = new CheckpointRun(keys, closedSegment, [.. _checkpointRequests]);
        _checkpointRequests.Clear();
        _dirtySince = 0;
    }

    /// <summary>Writes the next chunk of the running checkpoint in one transaction; after the last chunk, deletes
    /// the journal rows the checkpoint covers and completes its requests.</summary>
    private void RunCheckpointChunk()
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            RunCheckpointChunkCore();
        }
        finally
        {
            Interlocked.Add(ref _checkpointTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    private void RunCheckpointChunkCore()
    {
        var run = _checkpoint!;
        var cache = _cache!;
        int end = Math.Min(run.Keys.Count, run.Next + _options.CheckpointChunkSize);
        var written = new List<(StateFingerprint Key, CachedRecord Record)>(end - run.Next);
        try
        {
            _database.ExecuteWrite(connection =>
            {
                using var transaction = connection.BeginTransaction(deferred: false);
                var (upsert, check) = CheckpointCommands(transaction);
                long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                for (int i = run.Next; i < end; i++)
                {
                    var key = run.Keys[i];
                    if (!cache.TryGetValue(key, out var record)) continue; // an earlier chunk of this run already wrote its newest record
                    if (!Upsert(upsert, record.StateName, record.GrainId, record.Data, record.ETag, now))
                    {
                        var stored = ReadStoredVersion(check, record.StateName, record.GrainId); // throws for an invalid row
                        if (!stored.Exists || stored.ETag != record.ETag)
                            throw new InvalidOperationException(
                                $"Checkpoint of state '{record.StateName}' of grain {record.GrainId} found version {stored.ETag} in grain_state of '{_database.Path}', " +
                                $"newer than the acknowledged version {record.ETag}: the table was changed outside this storage.");
                    }
                    written.Add((key, record));
                }
                transaction.Commit();
                return 0;
            });
        }
        catch (Exception e) when (e is SqliteException or InvalidDataException or InvalidOperationException)
        {
            // Nothing of this chunk is stored; its records stay in the cache and the journal, so nothing is lost.
            // The checkpoint is abandoned and retried on schedule; its requests fail with the reason.
            LogCheckpointFailed(_logger, e, _database.Path);
            foreach (var request in run.Requests) request.Fail(e);
            _checkpoint = null;
            if (_dirtySince == 0) _dirtySince = Stopwatch.GetTimestamp();
            return;
        }
        lock (cache)
        {
            // Records rewritten since the chunk read them are newer objects and stay dirty.
            foreach (var (key, record) in written)
            {
                _cleanNew[key] = record.Tombstone ? ~record.ETag : record.ETag;
                if (!cache.TryGetValue(key, out var current) || !ReferenceEquals(current, record)) continue;
                cache.Remove(key);
            }
        }
        run.Next = end;
        if (end < run.Keys.Count) return;
        _checkpoint = null;
        try
        {
            _journalFile!.DeleteThrough(run.JournalHead);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The records are in grain_state; a segment left behind is replayed harmlessly at the next open.
            LogCheckpointFailed(_logger, e, _database.Path);
        }
        if (_cleanNew.Count > MaxCachedVersions) _cleanNew.Clear();
        RotateCleanVersions();
        Interlocked.Increment(ref _checkpoints);
        foreach (var request in run.Requests) request.Complete();
        LogCheckpoint(_logger, run.Keys.Count, run.JournalHead, _database.Path);
    }

    /// <summary>At shutdown: finishes the running checkpoint and writes everything still dirty.</summary>
    private void FinalCheckpoint()
    {
        if (_checkpoint is not null)
        {
            while (_checkpoint is not null) RunCheckpointChunk();
        }
        if (DirtyRecords > 0 || _checkpointRequests.Count > 0)
        {
            StartCheckpoint();
            while (_checkpoint is not null) RunCheckpointChunk();
        }
        // With every record in grain_state the last segment holds nothing needed; otherwise it stays for replay.
        _journalFile!.Close(deleteIfEmpty: DirtyRecords == 0);
    }

    /// <summary>Waits until a write is queued (true) or the queue is completed and empty (false); with dirty
    /// records or clean versions, wakes up when the checkpoint interval is over (true).</summary>
    private bool WaitForWork()
    {
        long since = _dirtySince != 0 ? _dirtySince : _cleanNew.Count > 0 || _cleanOld.Count > 0 ? _lastRotation : 0;
        var due = since == 0 ? Timeout.InfiniteTimeSpan : _options.CheckpointInterval - Stopwatch.GetElapsedTime(since);
        if (since != 0 && due <= TimeSpan.Zero) return true;
        return _queue.Wait(due) != WriteQueue.WaitOutcome.Completed;
    }

    /// <summary>The prepared statements of recovery and checkpoints, bound to <paramref name="transaction"/>.</summary>
    private (SqliteCommand Upsert, SqliteCommand Check) CheckpointCommands(SqliteTransaction transaction)
    {
        var upsert = _database.WriteCommand(CheckpointUpsertSql, CheckpointParameters);
        var check = _database.WriteCommand(CheckSql, KeyParameters);
        upsert.Transaction = transaction;
        check.Transaction = transaction;
        return (upsert, check);
    }

    private static bool Upsert(SqliteCommand upsert, string stateName, string grainId, byte[]? data, long etag, long now)
    {
        var p = upsert.Parameters;
        p[0].Value = stateName;
        p[1].Value = grainId;
        p[2].Value = data is null ? DBNull.Value : data;
        p[3].Value = etag;
        p[4].Value = now;
        return upsert.ExecuteScalar() is long;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Write-behind journal of {Path}: {Records} grain records replayed from {Segments} segments after an unclean stop")]
    private static partial void LogRecovered(ILogger logger, int records, int segments, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write-behind journal {Segment} ends in a frame cut short at byte {Offset} (a write that never completed and was never acknowledged); skipped")]
    private static partial void LogTornTail(ILogger logger, string segment, long offset);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Write-behind checkpoint of {Path}: {Records} grain records written, journal segments up to {Segment} deleted")]
    private static partial void LogCheckpoint(ILogger logger, int records, long segment, string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "Write-behind checkpoint of {Path} failed; its records stay in the journal and are retried")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception, string path);
}
