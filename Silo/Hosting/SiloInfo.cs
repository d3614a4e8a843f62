using Orleans.Runtime;

namespace Imv.Silo.Hosting;

/// <summary>What the API and the summary show about this silo: its name, storage, data file and activations.</summary>
public sealed class SiloInfo(SiloSettings settings, ILocalSiloDetails silo, IGrainFactory grains)
{
    /// <summary>The silo's name.</summary>
    public string Name => silo.Name;

    /// <summary>The storage in use ("Sqlite" or "Memory").</summary>
    public string Storage => settings.DefaultStorage;

    /// <summary>The SQLite file (full path); null with memory storage.</summary>
    public string? DataFile => settings.DefaultStorage == "Sqlite" ? Path.GetFullPath(settings.SqlitePath) : null;

    /// <summary>Activations in the cluster now (Orleans' management grain).</summary>
    public Task<int> GetActivationCountAsync() => grains.GetGrain<IManagementGrain>(0).GetTotalActivationCount();
}
