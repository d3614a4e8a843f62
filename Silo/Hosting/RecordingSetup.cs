using Imv.Persistence.Recording;
using Imv.Persistence.Sqlite.Recording;

namespace Imv.Silo.Hosting;

/// <summary>The plant recording's settings (the <c>Recording</c> section, docs/storage.md): checked with every other
/// problem before anything opens, then the recorder registered on a file beside the grain state.</summary>
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

    /// <summary>Registers the recorder when enabled; its file defaults to <paramref name="sqlitePath"/> with the
    /// extension <c>.recording.db</c> (relative paths are under the working directory).</summary>
    public static void Register(IServiceCollection services, RecordingOptions options, string sqlitePath)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Enabled) return;
        options.Path = string.IsNullOrWhiteSpace(options.Path)
            ? Path.ChangeExtension(sqlitePath, ".recording.db")
            : Path.GetFullPath(options.Path, Environment.CurrentDirectory);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(options.Path)!);
        services.AddSqliteRecording(options);
    }
}
