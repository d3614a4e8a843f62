using Imv.Runtime.Messaging;
using Imv.Runtime.Placement;
using Imv.Runtime.Reminders;
using Imv.Runtime.Storage;
using Imv.Runtime.Storage.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Imv.Runtime.Hosting;

/// <summary>Configures a silo on the .NET generic host.</summary>
public static class SiloHostingExtensions
{
    /// <summary>Adds one silo to the host: options from the "Silo" configuration section (then
    /// <paramref name="configure"/>), SQLite (default) or memory storage, the silo as <see cref="IGrainFactory"/>,
    /// and a hosted service that starts it and, on stop, deactivates every grain and flushes its state.</summary>
    public static IServiceCollection AddImvSilo(this IServiceCollection services, IConfiguration configuration, Action<SiloOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton(_ =>
        {
            var options = new SiloOptions();
            configuration.GetSection(SiloOptions.SectionName).Bind(options);
            configure?.Invoke(options);
            options.Validate();
            return options;
        });
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<SiloOptions>();
            var sqlite = new SqliteStorageOptions();
            configuration.GetSection(SiloOptions.SectionName + ":Sqlite").Bind(sqlite);
            if (string.IsNullOrWhiteSpace(sqlite.Path)) sqlite.Path = options.SqlitePath;
            return sqlite;
        });
        services.AddSingleton<SiloStorage>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<SiloOptions>();
            var storage = sp.GetRequiredService<SiloStorage>();
            // A single host: its own membership, in a generation above every earlier run on this storage.
            long generation = storage.Grains is IClusterGenerationSource source ? source.NextGeneration() : 0;
            return new SiloRuntime(options, sp, sp.GetRequiredService<ILoggerFactory>(),
                new InMemoryClusterMembership(options.PartitionCount, generation), new InMemorySiloTransport(),
                new Dictionary<string, IGrainStorage> { ["default"] = storage.Grains }, storage.Reminders);
        });
        services.AddSingleton<IGrainFactory>(sp => sp.GetRequiredService<SiloRuntime>());
        services.AddHostedService<SiloHostedService>();
        return services;
    }
}

/// <summary>The storage a hosted silo uses: one SQLite file (WAL) for grain state and reminders, or memory.</summary>
public sealed class SiloStorage : IDisposable
{
    private readonly SqliteDatabase? _database;

    /// <summary>Opens the configured storage.</summary>
    public SiloStorage(SiloOptions options, SqliteStorageOptions sqlite, ILoggerFactory? loggerFactory = null)
    {
        if (options.DefaultStorage == "Memory")
        {
            Grains = new MemoryGrainStorage();
            Reminders = new MemoryReminderTable();
            return;
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(sqlite.Path));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        _database = new SqliteDatabase(sqlite);
        Grains = new SqliteGrainStorage(_database, ownsDatabase: false, loggerFactory?.CreateLogger<SqliteGrainStorage>());
        Reminders = new SqliteReminderTable(_database);
        DataFile = Path.GetFullPath(sqlite.Path);
    }

    /// <summary>Grain state.</summary>
    public IGrainStorage Grains { get; }

    /// <summary>Reminders.</summary>
    public IReminderTable Reminders { get; }

    /// <summary>The SQLite file; null for memory storage.</summary>
    public string? DataFile { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        (Grains as IDisposable)?.Dispose();
        (Reminders as IDisposable)?.Dispose();
        _database?.Dispose();
    }
}

/// <summary>Starts the silo with the host and stops it gracefully.</summary>
internal sealed class SiloHostedService(SiloRuntime silo) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => silo.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await silo.StopAsync(cancellationToken).ConfigureAwait(false);
        await silo.DisposeAsync().ConfigureAwait(false);
    }
}
