using Orleans.Runtime;

namespace Imv.Silo.Hosting;

/// <summary>What the API and the summary show about this silo: its name, storage, data file and activations.</summary>
public sealed class SiloInfo(SiloSettings settings, ILocalSiloDetails silo, IGrainFactory grains)
{
    /// <summary>The silo's name.</summary>
    public string Name => silo.Name;

    /// <summary>The grain storage in use ("Sqlite", "AdoNet", "AzureStorage" or "Memory").</summary>
    public string Storage => settings.Storage;

    /// <summary>The clustering in use ("Localhost", "AdoNet" or "AzureStorage").</summary>
    public string Clustering => settings.Clustering;

    /// <summary>The SQLite file (full path); null when neither state nor reminders are in SQLite.</summary>
    public string? DataFile => settings.Uses(StorageKinds.Sqlite) ? Path.GetFullPath(settings.SqlitePath) : null;

    /// <summary>Activations in the cluster now (Orleans' management grain).</summary>
    public Task<int> GetActivationCountAsync() => grains.GetGrain<IManagementGrain>(0).GetTotalActivationCount();
}
