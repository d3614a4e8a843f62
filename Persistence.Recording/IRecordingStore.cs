namespace Imv.Persistence.Recording;

/// <summary>What one kind of storage (the SQLite file, the PostgreSQL tables) supplies to the <see cref="RecordingWriter"/>:
/// the writes themselves. The writer owns everything else (the queue, the thread, the group commits, retries, flush
/// waiters, counters, retention's schedule, the order of a stop). Every call comes from one thread at a time: the
/// writer's thread, or <see cref="CloseAsync"/> once that thread ended (<see cref="DeleteExpired"/> may also be called by
/// the owner for a test, as before). Disposed after the writer stopped.</summary>
internal interface IRecordingStore : IAsyncDisposable
{
    /// <summary>Appends the entries of <paramref name="chunks"/>, in order, the tag schemas <paramref name="schemas"/> the
    /// entries name that this writer has not stored before (another writer of the same recording may have: a schema is
    /// stored once, by its id), and the minutes <paramref name="minutes"/> finished so far
    /// (<see cref="MinuteRollup.Write"/>, not <see cref="MinuteRollup.Written"/>: the writer marks them once this
    /// returns) in one transaction. On failure it throws having committed nothing and kept nothing of the attempt: the
    /// writer calls it again with the same chunks, schemas and minutes.</summary>
    void Commit(List<RecordingQueue.Chunk> chunks, IReadOnlyList<TagSchema> schemas, MinuteRollup minutes);

    /// <summary>The tag schema stored under <paramref name="id"/>, or null; throws <see cref="InvalidDataException"/>
    /// naming the recording when its row is damaged. Any thread (the recorder's reads).</summary>
    TagSchema? FindSchema(UInt128 id);

    /// <summary>Whether a failure of <see cref="Commit"/> or <see cref="DeleteExpired"/> is the storage's (a file locked or
    /// full, a server restarting): retried (a commit) or tried at the next pass (retention). Anything else stops the
    /// writer, logged.</summary>
    bool IsTransient(Exception exception);

    /// <summary>Deletes what <see cref="RecordingOptions.MaxAge"/> and <see cref="RecordingOptions.MaxSizeMb"/> no longer
    /// keep at <paramref name="nowTicks"/>; returns the entries deleted.</summary>
    long DeleteExpired(long nowTicks);

    /// <summary>After the last commit: writes the minutes still open (the writer closed them into
    /// <paramref name="minutes"/>) and whatever else the store holds in memory only.</summary>
    ValueTask CloseAsync(MinuteRollup minutes, CancellationToken cancellationToken);
}
