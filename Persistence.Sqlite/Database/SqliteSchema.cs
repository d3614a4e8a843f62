using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Imv.Persistence.Sqlite;

/// <summary>The schema of a storage file and how a file is recognized. A file of these providers carries
/// <c>PRAGMA application_id</c> = <see cref="ApplicationId"/> and its schema version in <c>PRAGMA user_version</c>;
/// migrations newer than the file's version are applied in order, in one transaction, on open. A file written by the
/// old Imv runtime (a <c>schema_version</c> table, no application id) is refused: its state blobs are in that runtime's
/// own codec, which Orleans' serializers cannot read.</summary>
internal static class SqliteSchema
{
    /// <summary>"IMO1" (Imv on Orleans) as a big-endian 32-bit integer.</summary>
    public const int ApplicationId = 0x494D4F31;

    /// <summary>The migrations, in order. A migration never changes once released; add a new one instead.</summary>
    private static readonly (int Version, string Sql)[] Migrations =
    [
        (1, """
            CREATE TABLE grain_state (
                state_name TEXT NOT NULL,
                grain_id   TEXT NOT NULL,
                data       BLOB,
                etag       INTEGER,
                updated_at INTEGER,
                PRIMARY KEY (state_name, grain_id));
            CREATE TABLE reminders (
                grain_id     TEXT NOT NULL,
                grain_hash   INTEGER NOT NULL,
                name         TEXT NOT NULL,
                start_at     INTEGER NOT NULL,
                period_ticks INTEGER NOT NULL,
                etag         TEXT NOT NULL,
                PRIMARY KEY (grain_id, name));
            CREATE INDEX reminders_by_hash ON reminders (grain_hash);
            """),
    ];

    /// <summary>The newest schema version this code knows.</summary>
    public static int LatestVersion => Migrations[^1].Version;

    /// <summary>Refuses, before anything is written to it, a file that is not a storage file of these providers
    /// (see <see cref="Migrate"/>); a new, empty file passes.</summary>
    public static void Recognize(SqliteConnection connection, string path)
    {
        using var transaction = connection.BeginTransaction(deferred: true);
        Check(connection, transaction, path);
    }

    /// <summary>Recognizes the file behind <paramref name="connection"/> and brings its schema up to date;
    /// returns its schema version. Throws <see cref="InvalidOperationException"/> naming <paramref name="path"/>
    /// for a file of the old runtime, of a newer release, or of another application.</summary>
    public static int Migrate(SqliteConnection connection, string path)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        long version = Check(connection, transaction, path);
        foreach (var (migration, sql) in Migrations)
        {
            if (migration <= version) continue;
            Execute(connection, transaction, sql);
            version = migration;
        }
        Execute(connection, transaction,
            $"PRAGMA application_id = {ApplicationId.ToString(CultureInfo.InvariantCulture)}; PRAGMA user_version = {version.ToString(CultureInfo.InvariantCulture)};");
        transaction.Commit();
        return (int)version;
    }

    /// <summary>The file's schema version (0 for a new, empty file); throws for a file it must not open.</summary>
    private static long Check(SqliteConnection connection, SqliteTransaction transaction, string path)
    {
        long applicationId = Scalar(connection, transaction, "PRAGMA application_id;");
        long version = Scalar(connection, transaction, "PRAGMA user_version;");
        if (applicationId != ApplicationId)
        {
            if (Scalar(connection, transaction, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version';") > 0)
                throw OldRuntimeFile(path, Scalar(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version;"));
            if (Scalar(connection, transaction, "SELECT count(*) FROM sqlite_master;") > 0)
                throw new InvalidOperationException(
                    $"SQLite database '{path}' is not an Imv storage file (application_id {applicationId}, and it holds tables): " +
                    "point the storage at another file.");
            version = 0; // a new, empty file
        }
        if (version > LatestVersion)
            throw new InvalidOperationException(
                $"SQLite database '{path}' has schema version {version}, newer than this code knows (version {LatestVersion}). " +
                "It was written by a newer release: run that release, or point the storage at another file.");
        return version;
    }

    private static InvalidOperationException OldRuntimeFile(string path, long oldVersion) =>
        new($"SQLite database '{path}' was written by the old Imv runtime (schema_version {oldVersion}): its grain state is in " +
            "that runtime's own encoding, which Orleans' serializer cannot read, so it is not opened. Move it aside (with its " +
            "-wal, -shm, -writebehind.lock and -wb-*.journal files, if any); the silo then starts with empty grain state and " +
            "no reminders in a new file at the same path.");

    private static long Scalar(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // constant SQL of this class
        command.CommandText = sql;
#pragma warning restore CA2100
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
#pragma warning disable CA2100 // constant SQL of this class
        command.CommandText = sql;
#pragma warning restore CA2100
        command.ExecuteNonQuery();
    }
}
