using Imv.Client.Connection;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Imv.Persistence.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
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
        silo.UseImvClustering(settings);
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
        if (settings.Tls.Enabled) silo.UseTls(settings.Tls.LoadCertificate(), settings.Tls.Apply);
        silo.AddActivityPropagation();
        // Calls from Orleans clients (the SDK, imv) need an API key and the method's right, as HTTP requests do.
        silo.Services.AddSingleton<Imv.Silo.Security.ClientCallGate>();
        silo.Services.AddSingleton<Orleans.IIncomingGrainCallFilter>(sp => sp.GetRequiredService<Imv.Silo.Security.ClientCallGate>());
        silo.UseImvStorage(settings, configuration);
        if (settings.Dashboard) Orleans.Dashboard.ServiceCollectionExtensions.AddDashboard(silo, _ => { });
        return silo;
    }

    /// <summary>The ADO.NET invariant of PostgreSQL (Npgsql's provider name).</summary>
    public const string PostgreSqlInvariant = "Npgsql";

    private static void UseImvClustering(this ISiloBuilder silo, SiloSettings settings)
    {
        if (settings.Clustering == ClusteringKinds.Localhost)
        {
            silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, primarySiloEndpoint: null, serviceId: settings.ServiceId, clusterId: settings.ClusterId);
            return;
        }
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        silo.ConfigureEndpoints(AdvertisedAddressOf(settings), settings.SiloPort, settings.GatewayPort, settings.ListenOnAnyAddress);
        var m = settings.Membership;
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = m.ProbeTimeout;
            o.NumMissedProbesLimit = m.NumMissedProbesLimit;
            o.NumVotesForDeathDeclaration = m.NumVotesForDeathDeclaration;
            o.IAmAliveTablePublishTimeout = m.IAmAliveTablePublishTimeout;
        });
        if (settings.Clustering == ClusteringKinds.AdoNet)
        {
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = PostgreSqlInvariant;
                o.ConnectionString = settings.PostgreSqlConnectionString!;
            });
        }
        else
        {
            silo.UseAzureStorageClustering(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(settings.AzureStorageConnectionString!));
        }
    }

    /// <summary>The address peers and clients reach this silo at (see <see cref="SiloSettings.AdvertisedAddress"/>).</summary>
    public static IPAddress AdvertisedAddressOf(SiloSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.AdvertisedAddress is { } configured) return IPAddress.Parse(configured);
        if (settings.Clustering == ClusteringKinds.Localhost) return IPAddress.Loopback;
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        return address ?? IPAddress.Loopback;
    }

    private static void UseImvStorage(this ISiloBuilder silo, SiloSettings settings, IConfiguration configuration)
    {
        switch (settings.Storage)
        {
            case StorageKinds.Memory:
                silo.AddMemoryGrainStorage(DefaultStorageName);
                break;
            case StorageKinds.Sqlite:
                silo.AddSqliteGrainStorageAsDefault(o => SqliteStorageSetup.Configure(o, settings, configuration));
                break;
            case StorageKinds.AdoNet:
                silo.AddAdoNetGrainStorage(DefaultStorageName, ob => ob.Configure<IServiceProvider>((o, services) =>
                {
                    o.Invariant = PostgreSqlInvariant;
                    o.ConnectionString = settings.PostgreSqlConnectionString!;
                    o.GrainStorageSerializer = BinarySerializer(services);
                }));
                break;
            case StorageKinds.AzureStorage:
                silo.AddAzureTableGrainStorage(DefaultStorageName, ob => ob.Configure<IServiceProvider>((o, services) =>
                {
                    o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(settings.AzureStorageConnectionString!);
                    o.GrainStorageSerializer = BinarySerializer(services);
                }));
                break;
        }
        switch (settings.Reminders)
        {
            case StorageKinds.Memory:
                silo.UseInMemoryReminderService();
                break;
            case StorageKinds.Sqlite:
                silo.UseSqliteReminderService(o => SqliteStorageSetup.Configure(o, settings, configuration));
                break;
            case StorageKinds.AdoNet:
                silo.UseAdoNetReminderService(o =>
                {
                    o.Invariant = PostgreSqlInvariant;
                    o.ConnectionString = settings.PostgreSqlConnectionString!;
                });
                break;
            case StorageKinds.AzureStorage:
                silo.UseAzureTableReminderService(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(settings.AzureStorageConnectionString!));
                break;
        }
    }

    // Grain state in Orleans' binary serializer (version tolerant by [Id]), as in the SQLite file: the providers'
    // own default is JSON.
    private static OrleansGrainStorageSerializer BinarySerializer(IServiceProvider services) =>
        new(services.GetRequiredService<Orleans.Serialization.Serializer>());
}
