using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Serialization;
using Orleans.Storage;

namespace Imv.Persistence.Sqlite;

/// <summary>Fills in <see cref="SqliteStorageOptions.GrainStorageSerializer"/> when it was not set: the
/// <see cref="IGrainStorageSerializer"/> registered under the provider's name if any, otherwise Orleans' binary
/// serializer (the bytes of <see cref="OrleansGrainStorageSerializer"/>, written through a reused buffer:
/// <see cref="ReusedBufferGrainStorageSerializer"/>), version tolerant by <c>[Id]</c>.</summary>
internal sealed class SqliteStorageOptionsDefaults(IServiceProvider services) : IPostConfigureOptions<SqliteStorageOptions>
{
    /// <inheritdoc />
    public void PostConfigure(string? name, SqliteStorageOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.GrainStorageSerializer is not null) return;
        options.GrainStorageSerializer = (name is null ? null : services.GetKeyedService<IGrainStorageSerializer>(name))
            ?? new ReusedBufferGrainStorageSerializer(services.GetRequiredService<Serializer>());
    }
}
