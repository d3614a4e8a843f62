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

    /// <summary>Sets <paramref name="options"/> from the tuning section and <see cref="SiloSettings.SqlitePath"/> (grain
    /// storage and reminders share the file).</summary>
    public static void Configure(SqliteStorageOptions options, SiloSettings settings, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(configuration);
        configuration.GetSection(SectionName).Bind(options);
        options.Path = settings.SqlitePath;
        options.ConfigurationPath = SectionName;
    }
}
