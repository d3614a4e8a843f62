using System.Text.RegularExpressions;
using Npgsql;

namespace Imv.Persistence.PostgreSql;

/// <summary>Imv's versioned PostgreSQL schema for Orleans' ADO.NET providers: applies the embedded scripts a
/// database lacks (each in its own transaction, under an advisory lock so that silos migrating at once apply each
/// script once) and tells a database's version. Applying twice changes nothing.</summary>
public static partial class PostgreSqlSchema
{
    /// <summary>The table recording applied versions.</summary>
    public const string VersionTable = "imv_schema_version";

    // Any constant shared by every Imv process: the transaction-scoped advisory lock serializing migrations.
    private const long MigrationLockKey = 0x496D_765F_5343_484D; // "Imv_SCHM"

    /// <summary>Every version, ascending, from the embedded scripts.</summary>
    public static IReadOnlyList<SchemaMigration> Migrations { get; } = LoadMigrations();

    /// <summary>The version this code needs (the last script's).</summary>
    public static int CodeVersion => Migrations[^1].Version;

    /// <summary>The version of the database at <paramref name="dataSource"/>: 0 when it has no Imv schema.</summary>
    public static async Task<int> GetVersionAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await ReadVersionAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies every script newer than the database's version; returns the versions before and after.</summary>
    public static async Task<(int From, int To)> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({MigrationLockKey})", connection, transaction))
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using (var create = new NpgsqlCommand(
            $"CREATE TABLE IF NOT EXISTS {VersionTable} (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
            connection, transaction))
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        int from = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (from > CodeVersion) throw new SchemaVersionException(from, CodeVersion, Describe(dataSource));
        foreach (var migration in Migrations.Where(m => m.Version > from))
        {
            await using (var script = new NpgsqlCommand(migration.Sql, connection, transaction))
                await script.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var record = new NpgsqlCommand($"INSERT INTO {VersionTable} (version, description) VALUES (@version, @description)", connection, transaction);
            record.Parameters.AddWithValue("version", migration.Version);
            record.Parameters.AddWithValue("description", migration.Description);
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (from, Math.Max(from, CodeVersion));
    }

    /// <summary>Throws <see cref="SchemaVersionException"/> unless the database is at <see cref="CodeVersion"/>.</summary>
    public static async Task EnsureCurrentAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        int version = await GetVersionAsync(dataSource, cancellationToken).ConfigureAwait(false);
        if (version != CodeVersion) throw new SchemaVersionException(version, CodeVersion, Describe(dataSource));
    }

    /// <summary>"database 'x' on host:port", for messages (no credentials).</summary>
    public static string Describe(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var b = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return $"database '{b.Database ?? b.Username}' on {b.Host}:{b.Port}";
    }

    private static async Task<int> ReadVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        // Two statements: a query naming a missing table fails at planning time, whatever guards it.
        await using var probe = new NpgsqlCommand($"SELECT to_regclass('{VersionTable}') IS NOT NULL", connection, transaction);
        var exists = await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (exists is not true) return 0;
        await using var read = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {VersionTable}", connection, transaction);
        return Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static List<SchemaMigration> LoadMigrations()
    {
        var assembly = typeof(PostgreSqlSchema).Assembly;
        const string prefix = "Imv.Persistence.PostgreSql.Schema.";
        var list = new List<SchemaMigration>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var match = ScriptName().Match(name[prefix.Length..]);
            if (!match.Success) throw new InvalidOperationException($"Schema script '{name}' is not named NNNN-description.sql");
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            list.Add(new SchemaMigration(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), match.Groups[2].Value, reader.ReadToEnd()));
        }
        list.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (int i = 0; i < list.Count; i++)
            if (list[i].Version != i + 1) throw new InvalidOperationException($"Schema scripts must be numbered 1, 2, 3...: found {list[i].Version} at position {i + 1}");
        return list;
    }

    [GeneratedRegex(@"^(\d{4})-([a-z0-9-]+)\.sql$")]
    private static partial Regex ScriptName();
}
