using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Imv.Persistence.Sqlite;

/// <summary>The storage files open in one silo, by full path: the grain storages and the reminder table that
/// name the same file share one <see cref="SqliteStore"/> (one database, one writer). A file is opened by its
/// first user and closed (after a final checkpoint) when its last user releases it; whatever is still open when
/// the silo's lifecycle stops at its last stage is closed then.</summary>
internal sealed partial class SqliteStoreRegistry(ILoggerFactory loggerFactory) : ILifecycleParticipant<ISiloLifecycle>, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, SqliteStore> _stores = new(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
    private readonly ILogger _logger = loggerFactory.CreateLogger("Imv.Persistence.Sqlite");

    /// <summary>Opens (or shares) the file of <paramref name="options"/> for <paramref name="owner"/>.</summary>
    public async Task<SqliteStore> AcquireAsync(string owner, SqliteStorageOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string path = Path.GetFullPath(options.Path);
            if (_stores.TryGetValue(path, out var store))
            {
                var differences = SqliteStore.DatabaseSettingsDifferences(store.Database.Options, options, store.FirstOwner);
                if (differences.Count > 0)
                    throw new InvalidOperationException(
                        $"SQLite storage '{owner}' names the file '{path}' that '{store.FirstOwner}' opened with other settings " +
                        $"({string.Join(", ", differences)}): give both the same settings, or use separate files.");
            }
            else
            {
                store = new SqliteStore(new SqliteDatabase(options), owner);
                _stores.Add(path, store);
                LogOpened(_logger, path, store.Database.SchemaVersion, owner);
            }
            store.References++;
            return store;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Opens (or shares) the file of <paramref name="options"/> and its grain state store for the grain
    /// storage <paramref name="owner"/> (replaying a journal left by a crash).</summary>
    public async Task<(SqliteStore Store, GrainStateStore Grains)> AcquireGrainsAsync(string owner, SqliteStorageOptions options, CancellationToken cancellationToken)
    {
        var store = await AcquireAsync(owner, options, cancellationToken).ConfigureAwait(false);
        try
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return (store, store.Grains(owner, options, _logger));
            }
            finally
            {
                _gate.Release();
            }
        }
        catch
        {
            await ReleaseAsync(store).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Drops one reference; the last one flushes and closes the file.</summary>
    public async Task ReleaseAsync(SqliteStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (--store.References > 0) return;
            if (!_stores.Remove(store.Database.Path)) return;
            await store.CloseAsync().ConfigureAwait(false);
            LogClosed(_logger, store.Database.Path);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        // The earliest stage: its stop runs last, after every provider had its chance to release its file.
        lifecycle.Subscribe(nameof(SqliteStoreRegistry), ServiceLifecycleStage.First, _ => Task.CompletedTask, _ => CloseAllAsync());
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await CloseAllAsync().ConfigureAwait(false);

    private async Task CloseAllAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            foreach (var store in _stores.Values)
            {
                await store.CloseAsync().ConfigureAwait(false);
                LogClosed(_logger, store.Database.Path);
            }
            _stores.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite storage file {Path} opened (schema version {SchemaVersion}) by '{Owner}'")]
    private static partial void LogOpened(ILogger logger, string path, int schemaVersion, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite storage file {Path} closed")]
    private static partial void LogClosed(ILogger logger, string path);
}
