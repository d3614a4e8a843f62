using Imv.Persistence.PostgreSql.Recording;
using Imv.Persistence.Recording;
using Imv.Persistence.Sqlite.Recording;

namespace Imv.Silo.Hosting;

/// <summary>The plant recording's settings (the <c>Recording</c> section, docs/main-job.md): checked with every other
/// problem before anything opens, then the recorder registered: a SQLite file beside the grain state, or the PostgreSQL
/// database of the cluster (<see cref="RecordingOptions.Provider"/>; by default it follows <c>Silo:Storage</c>).</summary>
public static class RecordingSetup
{
    /// <summary>Binds and checks the section: unknown keys, values of the wrong type, values out of range.</summary>
    public static RecordingOptions Bind(IConfiguration configuration, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(problems);
        var options = new RecordingOptions();
        int before = problems.Count;
        SectionBinder.Bind(configuration.GetSection(RecordingOptions.SectionName), options, problems);
        if (problems.Count == before) foreach (var p in options.Problems()) problems.Add(p);
        return options;
    }

    /// <summary>The provider the recording uses with <paramref name="settings"/>: the one set, else PostgreSQL when the
    /// grain state is in PostgreSQL (every silo of the cluster then writes one shared recording), else SQLite.</summary>
    public static string ProviderOf(RecordingOptions options, SiloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        if (!string.IsNullOrEmpty(options.Provider)) return options.Provider;
        return settings.Storage == StorageKinds.AdoNet ? RecordingOptions.PostgreSql : RecordingOptions.Sqlite;
    }

    /// <summary>Whether the recording needs PostgreSQL (its server waited for and its schema applied at start).</summary>
    public static bool UsesPostgreSql(RecordingOptions options, SiloSettings settings) =>
        options is { Enabled: true } && ProviderOf(options, settings) == RecordingOptions.PostgreSql;

    /// <summary>The problems of the section with the silo's other settings: a PostgreSQL recording needs
    /// <c>ConnectionStrings:PostgreSql</c>.</summary>
    public static void Check(RecordingOptions options, SiloSettings settings, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (UsesPostgreSql(options, settings) && string.IsNullOrWhiteSpace(settings.PostgreSqlConnectionString))
            problems.Add($"{RecordingOptions.SectionName}:{nameof(RecordingOptions.Provider)} = '{RecordingOptions.PostgreSql}': needs ConnectionStrings:PostgreSql (missing)");
    }

    /// <summary>Registers the recorder when enabled. SQLite: its file defaults to <c>Silo:SqlitePath</c> with the
    /// extension <c>.recording.db</c> (relative paths are under the working directory). PostgreSQL: the tables of schema
    /// version 3 in the database of <c>ConnectionStrings:PostgreSql</c>.</summary>
    public static void Register(IServiceCollection services, RecordingOptions options, SiloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        if (!options.Enabled) return;
        if (UsesPostgreSql(options, settings))
        {
            services.AddPostgreSqlRecording(options, settings.PostgreSqlConnectionString!);
            return;
        }
        options.Path = string.IsNullOrWhiteSpace(options.Path)
            ? Path.ChangeExtension(settings.SqlitePath, ".recording.db")
            : Path.GetFullPath(options.Path, Environment.CurrentDirectory);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(options.Path)!);
        services.AddSqliteRecording(options);
    }
}
