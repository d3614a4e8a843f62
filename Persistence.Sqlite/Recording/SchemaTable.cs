using Imv.Persistence.Recording;
using Microsoft.Data.Sqlite;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>The recording file's tag schemas (<see cref="TagSchema"/>): one row each, keyed by its 16-byte id, written
/// with the first entry that names it and never deleted (a schema is a few hundred bytes, shared by the twins of a kind).</summary>
internal static class SchemaTable
{
    /// <summary>The table, for the file's creation script.</summary>
    public const string Create = "CREATE TABLE IF NOT EXISTS recording_schemas (id BLOB PRIMARY KEY, names BLOB NOT NULL) WITHOUT ROWID;";

    /// <summary>The insert (an id stored already keeps its row: the same id is the same names).</summary>
    public const string Insert = "INSERT OR IGNORE INTO recording_schemas (id, names) VALUES (?1, ?2)";

    /// <summary>The schema stored under <paramref name="id"/> in the file <paramref name="c"/> is open on, or null (also
    /// for a file written before schemas, which has no such table). Throws <see cref="InvalidDataException"/> when the
    /// row is damaged (the entry's decoder names the file and the entry).</summary>
    public static TagSchema? Find(SqliteConnection c, UInt128 id)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT names FROM recording_schemas WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", TagSchema.IdBytes(id));
        object? value;
        try { value = cmd.ExecuteScalar(); }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1 && ex.Message.Contains("no such table", StringComparison.Ordinal)) { return null; }
        return value switch
        {
            null or DBNull => null,
            byte[] names => TagSchema.Parse(id, names),
            _ => throw new InvalidDataException($"tag schema {TagSchema.Format(id)} is damaged: its names are stored as {value.GetType().Name}, not bytes"),
        };
    }
}
