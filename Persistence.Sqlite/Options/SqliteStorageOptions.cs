using Orleans;
using Orleans.Storage;

namespace Imv.Persistence.Sqlite;

/// <summary>Settings of the embedded SQLite storage: grain state (<see cref="SqliteGrainStorage"/>) and the
/// reminder table share one database file when they name the same <see cref="Path"/>.</summary>
public sealed class SqliteStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The default <see cref="GroupCommitWindow"/>: 2 ms.</summary>
    public static readonly TimeSpan DefaultGroupCommitWindow = TimeSpan.FromMilliseconds(2);

    /// <summary>The database file (created when missing; its directory must exist and be writable).</summary>
    public string Path { get; set; } = "";

    /// <summary>Durability of a commit; see <see cref="SqliteSynchronousMode"/>. Default <see cref="SqliteSynchronousMode.Normal"/>.</summary>
    public SqliteSynchronousMode Synchronous { get; set; } = SqliteSynchronousMode.Normal;

    /// <summary>The longest the group-commit writer waits to fill a batch: when fewer writes are queued than its
    /// last batch held, it waits up to this long for that many. A lone writer never waits. Zero commits whatever
    /// is queued at once. Default 2 ms (0 to 1 s).</summary>
    public TimeSpan GroupCommitWindow { get; set; } = DefaultGroupCommitWindow;

    /// <summary>The most writes applied in one group commit. Default 4096 (1 to 100,000).</summary>
    public int MaxBatchSize { get; set; } = 4096;

    /// <summary>How long a statement waits for a lock held by another connection or process. Default 5 s (0 to 10 min).</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Write-behind of grain state. On (the default), a group commit appends the batch's records to one
    /// checksummed journal frame and acknowledges them once it is written (and synced with
    /// <see cref="SqliteSynchronousMode.Full"/>); a checkpoint later writes each grain's newest record to the
    /// <c>grain_state</c> table. After a crash the journal is replayed when the file is opened. Only one process
    /// may use the file while it is on. Off, every write updates its row in its group commit.</summary>
    public bool WriteBehind { get; set; } = true;

    /// <summary>Write-behind: the longest a written record waits in the journal before a checkpoint writes it to
    /// <c>grain_state</c>. Default 30 s (10 ms to 1 h).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Write-behind: a checkpoint starts early once the journal holds this many bytes. Default 256 MiB
    /// (64 KiB to 64 GiB).</summary>
    public long CheckpointJournalBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Write-behind: grain records written per checkpoint transaction; journal commits run between
    /// them. Default 1000 (1 to 100,000).</summary>
    public int CheckpointChunkSize { get; set; } = 1000;

    /// <summary>The serializer of grain state. Default (null): Orleans' binary serializer
    /// (<see cref="OrleansGrainStorageSerializer"/>), version tolerant by <c>[Id]</c>. A storage file must keep
    /// the serializer it was written with.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;

    /// <summary>The silo lifecycle stage at which the grain storage opens the file. Default
    /// <see cref="ServiceLifecycleStage.ApplicationServices"/>, as Orleans' own storage providers.</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;

    /// <summary>Where these options were bound from in configuration (e.g. <c>Sqlite</c>); validation messages
    /// name keys under it (<c>Sqlite:Path</c>). Set by the <c>IConfiguration</c> overloads of the registration
    /// methods; empty names keys by their property name alone.</summary>
    public string ConfigurationPath { get; set; } = "";
}
