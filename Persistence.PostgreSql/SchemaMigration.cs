namespace Imv.Persistence.PostgreSql;

/// <summary>One version of the schema: the SQL that brings a database from <see cref="Version"/> - 1 to
/// <see cref="Version"/>, from the embedded file <c>Schema/NNNN-description.sql</c>.</summary>
/// <param name="Version">The version the script produces.</param>
/// <param name="Description">What it adds (from the file name).</param>
/// <param name="Sql">The script.</param>
public sealed record SchemaMigration(int Version, string Description, string Sql);
