namespace Imv.Persistence.Sqlite;

/// <summary>How hard SQLite and the write-behind journal push a commit to disk (the <c>synchronous</c> pragma,
/// in WAL mode).</summary>
public enum SqliteSynchronousMode
{
    /// <summary>The default. A commit survives a crash of the process; after a power loss or an OS crash the
    /// last commits before it may be lost (the database itself stays consistent). Commits are cheap.</summary>
    Normal,

    /// <summary>Each commit (a journal frame with write-behind, a transaction without) is synced before it is
    /// acknowledged: it survives a power loss too. Costs one fsync per group commit, shared by its writes.</summary>
    Full,
}
