namespace Imv.Runtime.Storage.Sqlite;

/// <summary>How hard SQLite pushes a commit to disk (the <c>synchronous</c> pragma, in WAL mode).</summary>
public enum SqliteSynchronousMode
{
    /// <summary>The default. A commit survives a crash of the process; after a power loss or an OS crash the
    /// last transactions before it may be rolled back (the database itself stays consistent). The WAL is
    /// synced at checkpoints only, so commits are cheap.</summary>
    Normal,

    /// <summary>Each commit syncs the WAL before it is acknowledged: it survives a power loss too. Costs one
    /// fsync per transaction; group commit shares it among the writes of a batch.</summary>
    Full,
}

/// <summary>Settings of the embedded SQLite storage (grain state and reminders in one file).</summary>
public sealed class SqliteStorageOptions
{
    /// <summary>The database file (created when missing).</summary>
    public string Path { get; set; } = "";

    /// <summary>Durability of a commit; see <see cref="SqliteSynchronousMode"/>. Default <see cref="SqliteSynchronousMode.Normal"/>.</summary>
    public SqliteSynchronousMode Synchronous { get; set; } = SqliteSynchronousMode.Normal;

    /// <summary>The longest the group-commit writer waits to fill a batch: when fewer writes are queued than its
    /// last batch held, it waits up to this long for that many (committing as soon as they are queued). A lone
    /// writer never waits. Zero commits whatever is queued at once. Default 2 ms.</summary>
    public TimeSpan GroupCommitWindow { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>The most writes applied in one transaction. Default 4096.</summary>
    public int MaxBatchSize { get; set; } = 4096;

    /// <summary>How long a statement waits for a lock held by another connection or process. Default 5 s.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Write-behind of grain state. On (the default), a group commit appends the batch's records to
    /// one journal row (sequential bytes, one statement per transaction) and acknowledges them once it is
    /// committed; the newest record of each grain is kept in memory and written to <c>grain_state</c> later by
    /// a checkpoint, once per grain however often it was written. An acknowledged write is as durable as
    /// without write-behind: after a crash the journal is replayed when the file is opened. Only one storage
    /// (one process) may use the file while it is on. Off, every write updates its row in <c>grain_state</c>
    /// in its group commit.</summary>
    public bool WriteBehind { get; set; } = true;

    /// <summary>Write-behind: the longest a written record waits in the journal before a checkpoint writes it
    /// to <c>grain_state</c>. Default 30 s.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Write-behind: a checkpoint starts early once the journal holds this many bytes (it bounds the
    /// journal's disk space and the replay after a crash). Default 256 MiB.</summary>
    public long CheckpointJournalBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Write-behind: grains written to <c>grain_state</c> per checkpoint transaction; journal commits run
    /// between these transactions, so a checkpoint never holds acknowledgements back for long. Default 1000.</summary>
    public int CheckpointChunkSize { get; set; } = 1000;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting and its value.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
            throw new ArgumentException($"SqliteStorageOptions.Path must name a database file (was '{Path}').", nameof(Path));
        if (!Enum.IsDefined(Synchronous))
            throw new ArgumentException($"SqliteStorageOptions.Synchronous must be Normal or Full (was {(int)Synchronous}).", nameof(Synchronous));
        if (GroupCommitWindow < TimeSpan.Zero || GroupCommitWindow > TimeSpan.FromSeconds(1))
            throw new ArgumentException($"SqliteStorageOptions.GroupCommitWindow must be between 0 and 1 s (was {GroupCommitWindow}).", nameof(GroupCommitWindow));
        if (MaxBatchSize < 1 || MaxBatchSize > 100_000)
            throw new ArgumentException($"SqliteStorageOptions.MaxBatchSize must be between 1 and 100000 (was {MaxBatchSize}).", nameof(MaxBatchSize));
        if (BusyTimeout < TimeSpan.Zero || BusyTimeout > TimeSpan.FromMinutes(10))
            throw new ArgumentException($"SqliteStorageOptions.BusyTimeout must be between 0 and 10 min (was {BusyTimeout}).", nameof(BusyTimeout));
        if (CheckpointInterval < TimeSpan.FromMilliseconds(10) || CheckpointInterval > TimeSpan.FromHours(1))
            throw new ArgumentException($"SqliteStorageOptions.CheckpointInterval must be between 10 ms and 1 h (was {CheckpointInterval}).", nameof(CheckpointInterval));
        if (CheckpointJournalBytes < 64 * 1024 || CheckpointJournalBytes > 64L * 1024 * 1024 * 1024)
            throw new ArgumentException($"SqliteStorageOptions.CheckpointJournalBytes must be between 65536 and 68719476736 (was {CheckpointJournalBytes}).", nameof(CheckpointJournalBytes));
        if (CheckpointChunkSize < 1 || CheckpointChunkSize > 100_000)
            throw new ArgumentException($"SqliteStorageOptions.CheckpointChunkSize must be between 1 and 100000 (was {CheckpointChunkSize}).", nameof(CheckpointChunkSize));
    }
}
