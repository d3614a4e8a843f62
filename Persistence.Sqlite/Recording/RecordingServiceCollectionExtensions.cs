using Imv.Grains.Interfaces.Recording;
using Imv.Persistence.Recording;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>Registers the plant recording.</summary>
public static class RecordingServiceCollectionExtensions
{
    /// <summary>Registers <see cref="SqliteTwinRecorder"/> as the twins' <see cref="ITwinRecorder"/>, the readers' <see cref="IRecordingReader"/> and as a hosted
    /// service. Register it before Orleans: hosted services stop in reverse order, so the recorder closes (committing
    /// what it holds) after the silo stopped handing it entries.</summary>
    public static IServiceCollection AddSqliteRecording(this IServiceCollection services, RecordingOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        services.AddSingleton(options);
        services.AddSingleton<SqliteTwinRecorder>();
        services.AddSingleton<ITwinRecorder>(sp => sp.GetRequiredService<SqliteTwinRecorder>());
        services.AddSingleton<IRecordingReader>(sp => sp.GetRequiredService<SqliteTwinRecorder>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SqliteTwinRecorder>());
        return services;
    }
}
