using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Imv.Persistence.Sqlite.Tests;

/// <summary>The Orleans provider outside a silo: Orleans' serializer and activators from a service provider, the
/// provider opened and closed as the silo lifecycle would.</summary>
internal sealed class ProviderHarness : IAsyncDisposable
{
    private static readonly Lazy<ServiceProvider> Services = new(() =>
    {
        var services = new ServiceCollection();
        services.AddSerializer(b => b.AddAssembly(typeof(CounterState).Assembly));
        return services.BuildServiceProvider();
    });

    private readonly SqliteStoreRegistry _registry;

    private ProviderHarness(SqliteGrainStorage storage, SqliteStoreRegistry registry)
    {
        Storage = storage;
        _registry = registry;
    }

    public SqliteGrainStorage Storage { get; }

    public static async Task<ProviderHarness> OpenAsync(SqliteStorageOptions options, string name = "Default")
    {
        options.GrainStorageSerializer ??= new OrleansGrainStorageSerializer(Services.Value.GetRequiredService<Serializer>());
        var registry = new SqliteStoreRegistry(NullLoggerFactory.Instance);
        var storage = new SqliteGrainStorage(name, options, registry, Services.Value.GetRequiredService<IActivatorProvider>(), NullLogger.Instance);
        await storage.OpenAsync(CancellationToken.None);
        return new ProviderHarness(storage, registry);
    }

    public async ValueTask DisposeAsync()
    {
        await Storage.CloseAsync(CancellationToken.None);
        await _registry.DisposeAsync();
    }
}
