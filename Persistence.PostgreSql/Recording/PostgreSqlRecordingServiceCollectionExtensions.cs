using Imv.Grains.Interfaces.Recording;
using Imv.Persistence.Recording;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Imv.Persistence.PostgreSql.Recording;

/// <summary>Registers the plant recording in PostgreSQL.</summary>
public static class PostgreSqlRecordingServiceCollectionExtensions
{
    /// <summary>Registers <see cref="PostgreSqlTwinRecorder"/> on <paramref name="connectionString"/> as the twins'
    /// <see cref="ITwinRecorder"/>, the readers' <see cref="IRecordingReader"/> and a hosted service. Register it after
    /// the service that applies the schema and before Orleans: hosted services start in order and stop in reverse, so
    /// the recorder writes once the tables exist and closes after the silo stopped handing it entries.</summary>
    public static IServiceCollection AddPostgreSqlRecording(this IServiceCollection services, RecordingOptions options, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        services.AddSingleton(options);
        services.AddSingleton(sp => new PostgreSqlTwinRecorder(options, NpgsqlDataSource.Create(PostgreSqlTwinRecorder.ConnectionStringFor(connectionString)),
            sp.GetRequiredService<ILogger<PostgreSqlTwinRecorder>>(), sp.GetService<TimeProvider>(), ownsDataSource: true));
        services.AddSingleton<ITwinRecorder>(sp => sp.GetRequiredService<PostgreSqlTwinRecorder>());
        services.AddSingleton<IRecordingReader>(sp => sp.GetRequiredService<PostgreSqlTwinRecorder>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<PostgreSqlTwinRecorder>());
        return services;
    }
}
