using Imv.Persistence.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Providers;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;

namespace Orleans.Hosting;

/// <summary>Registers the embedded SQLite providers of Imv.Persistence.Sqlite on a silo: grain storage
/// (<see cref="SqliteGrainStorage"/>) and the reminder table. Providers naming the same file share it (one
/// database, one writer).</summary>
public static class SqliteSiloBuilderExtensions
{
    /// <summary>The name of the <see cref="SqliteStorageOptions"/> of the reminder table.</summary>
    public const string ReminderOptionsName = "Imv.Sqlite.Reminders";

    /// <summary>Grain storage "Default" and the reminder table, both on the one file of <paramref name="configure"/>.</summary>
    public static ISiloBuilder UseSqlite(this ISiloBuilder builder, Action<SqliteStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return builder.AddSqliteGrainStorageAsDefault(configure).UseSqliteReminderService(configure);
    }

    /// <summary>Grain storage "Default" and the reminder table on one file, with options bound from
    /// <paramref name="configuration"/> (e.g. the section <c>Sqlite</c>: <c>Sqlite:Path</c>, <c>Sqlite:WriteBehind</c>, ...);
    /// validation messages name the keys under that section.</summary>
    public static ISiloBuilder UseSqlite(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        return builder.AddSqliteGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configuration).UseSqliteReminderService(configuration);
    }

    /// <summary>SQLite grain storage as the default provider ("Default").</summary>
    public static ISiloBuilder AddSqliteGrainStorageAsDefault(this ISiloBuilder builder, Action<SqliteStorageOptions> configure) =>
        builder.AddSqliteGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configure);

    /// <summary>SQLite grain storage named <paramref name="name"/>.</summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder builder, string name, Action<SqliteStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddSqliteGrainStorage(name, ob => ob.Configure(configure));
        return builder;
    }

    /// <summary>SQLite grain storage named <paramref name="name"/>, with options bound from <paramref name="configuration"/>.</summary>
    public static ISiloBuilder AddSqliteGrainStorage(this ISiloBuilder builder, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.AddSqliteGrainStorage(name, ob => Bind(ob, configuration));
        return builder;
    }

    /// <summary>SQLite grain storage named <paramref name="name"/>, configured through an options builder.</summary>
    public static IServiceCollection AddSqliteGrainStorage(this IServiceCollection services, string name, Action<OptionsBuilder<SqliteStorageOptions>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(configure);
        AddShared(services);
        configure(services.AddOptions<SqliteStorageOptions>(name));
        services.AddTransient<IConfigurationValidator>(sp =>
            new SqliteStorageOptionsValidator(sp.GetRequiredService<IOptionsMonitor<SqliteStorageOptions>>().Get(name), name));
        return services.AddGrainStorage(name, SqliteGrainStorageFactory.Create);
    }

    /// <summary>The SQLite reminder table (and Orleans' reminder service).</summary>
    public static ISiloBuilder UseSqliteReminderService(this ISiloBuilder builder, Action<SqliteStorageOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.UseSqliteReminderService(ob => ob.Configure(configure));
        return builder;
    }

    /// <summary>The SQLite reminder table, with options bound from <paramref name="configuration"/>.</summary>
    public static ISiloBuilder UseSqliteReminderService(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        builder.Services.UseSqliteReminderService(ob => Bind(ob, configuration));
        return builder;
    }

    /// <summary>The SQLite reminder table (and Orleans' reminder service), configured through an options builder.</summary>
    public static IServiceCollection UseSqliteReminderService(this IServiceCollection services, Action<OptionsBuilder<SqliteStorageOptions>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        AddShared(services);
        services.AddReminders();
        services.AddSingleton<IReminderTable, SqliteReminderTable>();
        configure(services.AddOptions<SqliteStorageOptions>(ReminderOptionsName));
        services.AddTransient<IConfigurationValidator>(sp =>
            new SqliteStorageOptionsValidator(sp.GetRequiredService<IOptionsMonitor<SqliteStorageOptions>>().Get(ReminderOptionsName), "reminders"));
        return services;
    }

    private static void Bind(OptionsBuilder<SqliteStorageOptions> options, IConfiguration configuration)
    {
        options.Bind(configuration);
        string path = configuration is IConfigurationSection section ? section.Path : "";
        options.Configure(o =>
        {
            if (string.IsNullOrEmpty(o.ConfigurationPath)) o.ConfigurationPath = path;
        });
    }

    private static void AddShared(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(SqliteStoreRegistry))) return;
        services.AddSingleton<SqliteStoreRegistry>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<SqliteStoreRegistry>());
        services.TryAddEnumerable(ServiceDescriptor.Transient<IPostConfigureOptions<SqliteStorageOptions>, SqliteStorageOptionsDefaults>());
    }
}
