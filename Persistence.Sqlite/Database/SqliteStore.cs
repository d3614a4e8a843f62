using Microsoft.Extensions.Logging;

namespace Imv.Persistence.Sqlite;

/// <summary>One open storage file of a silo: its database, and its grain state store once a grain storage uses
/// it. Shared by every provider naming the same file, counted by <see cref="SqliteStoreRegistry"/>.</summary>
internal sealed class SqliteStore(SqliteDatabase database, string firstOwner)
{
    private GrainStateStore? _grains;
    private string? _grainsOwner;
    private SqliteStorageOptions? _grainsOptions;

    public SqliteDatabase Database { get; } = database;

    /// <summary>The provider that opened the file (named in conflicts).</summary>
    public string FirstOwner { get; } = firstOwner;

    public int References { get; set; }

    /// <summary>The grain state store, created with the grain-state settings of the first grain storage;
    /// throws <see cref="InvalidOperationException"/> when a later one asks for different settings.</summary>
    public GrainStateStore Grains(string owner, SqliteStorageOptions options, ILogger logger)
    {
        if (_grains is null)
        {
            _grains = new GrainStateStore(Database, options, logger);
            _grainsOwner = owner;
            _grainsOptions = options;
            return _grains;
        }
        var differences = GrainSettingsDifferences(_grainsOptions!, options, _grainsOwner!);
        if (differences.Count > 0)
            throw new InvalidOperationException(
                $"SQLite storage '{owner}' names the file '{Database.Path}' that storage '{_grainsOwner}' uses with other grain " +
                $"state settings ({string.Join(", ", differences)}): give both the same settings, or use separate files.");
        return _grains;
    }

    /// <summary>Flushes and stops the grain state store (a final checkpoint), then closes the database.</summary>
    public async Task CloseAsync()
    {
        try
        {
            if (_grains is not null) await _grains.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Database.Dispose();
        }
    }

    /// <summary>Database-level settings that differ between two providers on one file.</summary>
    public static List<string> DatabaseSettingsDifferences(SqliteStorageOptions opened, SqliteStorageOptions other, string openedBy)
    {
        var differences = new List<string>();
        if (opened.Synchronous != other.Synchronous) differences.Add($"Synchronous {other.Synchronous} against {opened.Synchronous} of '{openedBy}'");
        if (opened.BusyTimeout != other.BusyTimeout) differences.Add($"BusyTimeout {other.BusyTimeout} against {opened.BusyTimeout} of '{openedBy}'");
        return differences;
    }

    private static List<string> GrainSettingsDifferences(SqliteStorageOptions opened, SqliteStorageOptions other, string openedBy)
    {
        var differences = DatabaseSettingsDifferences(opened, other, openedBy);
        void Compare<T>(string name, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b)) differences.Add($"{name} {b} against {a} of '{openedBy}'");
        }
        Compare(nameof(opened.WriteBehind), opened.WriteBehind, other.WriteBehind);
        Compare(nameof(opened.GroupCommitWindow), opened.GroupCommitWindow, other.GroupCommitWindow);
        Compare(nameof(opened.MaxBatchSize), opened.MaxBatchSize, other.MaxBatchSize);
        Compare(nameof(opened.CheckpointInterval), opened.CheckpointInterval, other.CheckpointInterval);
        Compare(nameof(opened.CheckpointJournalBytes), opened.CheckpointJournalBytes, other.CheckpointJournalBytes);
        Compare(nameof(opened.CheckpointChunkSize), opened.CheckpointChunkSize, other.CheckpointChunkSize);
        return differences;
    }
}
