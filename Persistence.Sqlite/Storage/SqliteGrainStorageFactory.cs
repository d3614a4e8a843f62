using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization.Serializers;

namespace Imv.Persistence.Sqlite;

/// <summary>Creates the named <see cref="SqliteGrainStorage"/> from the silo's services (the factory that
/// <c>AddSqliteGrainStorage</c> registers, in the shape of Orleans' own providers).</summary>
public static class SqliteGrainStorageFactory
{
    /// <summary>The grain storage named <paramref name="name"/>, configured by the <see cref="SqliteStorageOptions"/>
    /// of that name.</summary>
    public static SqliteGrainStorage Create(IServiceProvider services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(name);
        var options = services.GetRequiredService<IOptionsMonitor<SqliteStorageOptions>>().Get(name);
        return new SqliteGrainStorage(
            name,
            options,
            services.GetRequiredService<SqliteStoreRegistry>(),
            services.GetRequiredService<IActivatorProvider>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger<SqliteGrainStorage>());
    }
}
