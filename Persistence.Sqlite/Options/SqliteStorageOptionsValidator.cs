using System.Globalization;
using Orleans;
using Orleans.Runtime;

namespace Imv.Persistence.Sqlite;

/// <summary>Checks one provider's <see cref="SqliteStorageOptions"/> when the silo starts, and reports every
/// problem in one message naming each key and its value.</summary>
internal sealed class SqliteStorageOptionsValidator(SqliteStorageOptions options, string providerName) : IConfigurationValidator
{
    /// <inheritdoc />
    public void ValidateConfiguration() => ThrowIfInvalid(options, providerName, checkDirectory: true);

    /// <summary>Throws <see cref="OrleansConfigurationException"/> listing every problem of <paramref name="options"/>.</summary>
    public static void ThrowIfInvalid(SqliteStorageOptions options, string providerName, bool checkDirectory)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = Problems(options, checkDirectory);
        if (problems.Count == 0) return;
        throw new OrleansConfigurationException(
            $"SQLite storage '{providerName}' is misconfigured: {string.Join("; ", problems)}.");
    }

    /// <summary>Every problem of <paramref name="options"/>, each naming its key and value; empty when valid.
    /// With <paramref name="checkDirectory"/>, also checks that the file's directory exists and is writable.</summary>
    public static List<string> Problems(SqliteStorageOptions options, bool checkDirectory)
    {
        var problems = new List<string>();
        string Key(string name) => string.IsNullOrEmpty(options.ConfigurationPath) ? name : options.ConfigurationPath + ":" + name;
        void Check(bool ok, string name, object? value, string rule)
        {
            if (!ok) problems.Add($"{Key(name)} {rule} (was {Show(value)})");
        }

        if (string.IsNullOrWhiteSpace(options.Path))
        {
            problems.Add($"{Key(nameof(options.Path))} must name a database file (was {Show(options.Path)})");
        }
        else if (checkDirectory)
        {
            string? problem = DirectoryProblem(options.Path);
            if (problem is not null) problems.Add($"{Key(nameof(options.Path))} {problem} (was {Show(options.Path)})");
        }
        Check(Enum.IsDefined(options.Synchronous), nameof(options.Synchronous), (int)options.Synchronous, "must be Normal or Full");
        Check(options.GroupCommitWindow >= TimeSpan.Zero && options.GroupCommitWindow <= TimeSpan.FromSeconds(1),
            nameof(options.GroupCommitWindow), options.GroupCommitWindow, "must be between 0 and 1 s");
        Check(options.MaxBatchSize is >= 1 and <= 100_000, nameof(options.MaxBatchSize), options.MaxBatchSize, "must be between 1 and 100000");
        Check(options.BusyTimeout >= TimeSpan.Zero && options.BusyTimeout <= TimeSpan.FromMinutes(10),
            nameof(options.BusyTimeout), options.BusyTimeout, "must be between 0 and 10 min");
        Check(options.CheckpointInterval >= TimeSpan.FromMilliseconds(10) && options.CheckpointInterval <= TimeSpan.FromHours(1),
            nameof(options.CheckpointInterval), options.CheckpointInterval, "must be between 10 ms and 1 h");
        Check(options.CheckpointJournalBytes is >= 64 * 1024 and <= 64L * 1024 * 1024 * 1024,
            nameof(options.CheckpointJournalBytes), options.CheckpointJournalBytes, "must be between 65536 and 68719476736");
        Check(options.CheckpointChunkSize is >= 1 and <= 100_000, nameof(options.CheckpointChunkSize), options.CheckpointChunkSize, "must be between 1 and 100000");
        return problems;
    }

    /// <summary>Why a database file cannot be created at <paramref name="path"/>: its directory is missing or not
    /// writable (checked by creating and deleting a probe file). Null when it can.</summary>
    private static string? DirectoryProblem(string path)
    {
        string full;
        try
        {
            full = System.IO.Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"is not a valid path: {e.Message}";
        }
        if (Directory.Exists(full)) return $"names a directory '{full}', not a file";
        string directory = System.IO.Path.GetDirectoryName(full) ?? full;
        if (!Directory.Exists(directory)) return $"is in directory '{directory}', which does not exist";
        string probe = System.IO.Path.Combine(directory, ".imv-write-probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"is in directory '{directory}', which is not writable ({e.Message})";
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        string s => "'" + s + "'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
