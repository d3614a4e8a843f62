namespace Imv.Persistence.PostgreSql;

/// <summary>The database's schema is not the version this code needs: the message names both versions and how to
/// migrate. A silo refuses to start with it.</summary>
public sealed class SchemaVersionException : Exception
{
    /// <summary>Creates the exception for a database at <paramref name="databaseVersion"/> and code needing <paramref name="codeVersion"/>.</summary>
    public SchemaVersionException(int databaseVersion, int codeVersion, string database)
        : base(Describe(databaseVersion, codeVersion, database))
    {
        DatabaseVersion = databaseVersion;
        CodeVersion = codeVersion;
    }

    /// <summary>Creates an empty exception (for serializers).</summary>
    public SchemaVersionException() { }

    /// <summary>Creates the exception with a message.</summary>
    public SchemaVersionException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public SchemaVersionException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>The version found in the database (0: no Imv schema at all).</summary>
    public int DatabaseVersion { get; }

    /// <summary>The version this code needs.</summary>
    public int CodeVersion { get; }

    private static string Describe(int databaseVersion, int codeVersion, string database) => databaseVersion < codeVersion
        ? $"The PostgreSQL schema of {database} is version {databaseVersion}{(databaseVersion == 0 ? " (no Imv schema)" : "")}; this silo needs version {codeVersion}. " +
          "Apply it with `dotnet run --project Silo -- migrate` (same configuration) or start the silo with --Silo:Database:Migrate=true."
        : $"The PostgreSQL schema of {database} is version {databaseVersion}, newer than this silo's version {codeVersion}: " +
          "run a silo built from the same or a newer Imv.";
}
