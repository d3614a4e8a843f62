using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Imv.Silo.Hosting;

/// <summary>Turns <see cref="SiloSettings"/> into an Orleans silo: localhost clustering, the storage and
/// reminder providers, messaging and collection options, activity propagation and the dashboard.</summary>
public static class OrleansSiloSetup
{
    /// <summary>The name of the storage provider grains use when they name none.</summary>
    public const string DefaultStorageName = "Default";

    /// <summary>Configures <paramref name="silo"/> from <paramref name="settings"/> (already validated).</summary>
    public static ISiloBuilder ConfigureImvSilo(this ISiloBuilder silo, SiloSettings settings, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(settings);
        silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, primarySiloEndpoint: null, serviceId: settings.ServiceId, clusterId: settings.ClusterId);
        silo.Configure<SiloOptions>(o => o.SiloName = settings.Name);
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = settings.DefaultCallTimeout);
        silo.Configure<GrainCollectionOptions>(o =>
        {
            o.CollectionAge = settings.CollectionAge;
            o.CollectionQuantum = settings.CollectionQuantum;
            o.DeactivationTimeout = settings.DeactivationTimeout;
            o.EnableActivationSheddingOnMemoryPressure = settings.MemoryPressurePercent > 0;
            if (settings.MemoryPressurePercent > 0)
            {
                o.MemoryUsageLimitPercentage = settings.MemoryPressurePercent;
                o.MemoryUsageTargetPercentage = Math.Max(1, settings.MemoryPressurePercent - 10);
            }
        });
        silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = settings.MinimumReminderPeriod);
        silo.Configure<GrainDirectoryOptions>(o =>
        {
            o.CacheSize = settings.DirectoryCacheSize;
            if (settings.DirectoryCacheSize == 0) o.CachingStrategy = GrainDirectoryOptions.CachingStrategyType.None;
        });
        silo.AddActivityPropagation();
        silo.UseImvStorage(settings, configuration);
        if (settings.Dashboard) Orleans.Dashboard.ServiceCollectionExtensions.AddDashboard(silo, _ => { });
        return silo;
    }

    private static void UseImvStorage(this ISiloBuilder silo, SiloSettings settings, IConfiguration configuration)
    {
        if (settings.DefaultStorage == "Memory")
        {
            silo.AddMemoryGrainStorage(DefaultStorageName);
            silo.UseInMemoryReminderService();
            return;
        }
        SqliteStorageSetup.UseSqlite(silo, settings, configuration);
    }
}
