using Imv.Persistence.Sqlite;

namespace Imv.Silo.Hosting;

/// <summary>The embedded SQLite providers (grain storage with the write-behind journal, reminders) on the one file
/// <c>Silo:SqlitePath</c>, tuned by the <c>Silo:Sqlite</c> section (docs/storage.md).</summary>
public static class SqliteStorageSetup
{
    /// <summary>The tuning section.</summary>
    public const string SectionName = SiloSettings.SectionName + ":Sqlite";

    /// <summary>Checks the tuning section before anything opens: unknown keys and values of the wrong type.</summary>
    public static void Validate(IConfiguration configuration, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        SectionBinder.Bind(configuration.GetSection(SectionName), new SqliteStorageOptions(), problems,
            nameof(SqliteStorageOptions.Path), nameof(SqliteStorageOptions.ConfigurationPath));
    }

    /// <summary>Registers grain storage "Default" and the reminder table on <see cref="SiloSettings.SqlitePath"/>.</summary>
    public static void UseSqlite(ISiloBuilder silo, SiloSettings settings, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var section = configuration.GetSection(SectionName);
        silo.UseSqlite(o =>
        {
            section.Bind(o);
            o.Path = settings.SqlitePath;
            o.ConfigurationPath = SectionName;
        });
    }
}
