using System.Globalization;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Imv.Persistence.Sqlite;

/// <summary>Orleans grain storage on an embedded SQLite file. State is serialized with
/// <see cref="SqliteStorageOptions.GrainStorageSerializer"/> (Orleans' binary serializer by default) and stored per
/// (state name, grain id) with an integer version as its ETag. Writes are group-committed and, with write-behind
/// (the default), acknowledged once their checksummed journal frame is written; see docs/storage.md. Register it
/// with <c>UseSqlite</c> or <c>AddSqliteGrainStorage</c> on the silo builder; it opens its file when the silo starts
/// (at <see cref="SqliteStorageOptions.InitStage"/>) and flushes, checkpoints and closes it when the silo stops.</summary>
public sealed partial class SqliteGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly SqliteStorageOptions _options;
    private readonly SqliteStoreRegistry _registry;
    private readonly IActivatorProvider _activatorProvider;
    private readonly ILogger _logger;
    private SqliteStore? _store;
    private GrainStateStore? _grains;

    internal SqliteGrainStorage(string name, SqliteStorageOptions options, SqliteStoreRegistry registry, IActivatorProvider activatorProvider, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(options);
        Name = name;
        _options = options;
        _registry = registry;
        _activatorProvider = activatorProvider;
        _logger = logger;
    }

    /// <summary>The provider's name (the name grains give in <c>[PersistentState(stateName, storageName)]</c>).</summary>
    public string Name { get; }

    /// <summary>The full path of the database file (for logs and backups).</summary>
    public string DatabasePath => Path.GetFullPath(_options.Path);

    /// <summary>Whether the file is open (between silo start and stop).</summary>
    public bool IsOpen => Volatile.Read(ref _grains) is not null;

    internal GrainStateStore Store => Volatile.Read(ref _grains)
        ?? throw new InvalidOperationException($"SQLite grain storage '{Name}' ({_options.Path}) is not open: the silo has not started it, or has stopped it.");

    /// <summary>With write-behind, writes every record acknowledged before the call into the <c>grain_state</c> table
    /// and empties the journal of them (for a consistent copy of the file, e.g. before a backup). Without it,
    /// completes once the writes queued before it are committed.</summary>
    public Task CheckpointAsync(CancellationToken cancellationToken = default) => Store.CheckpointAsync(cancellationToken);

    /// <inheritdoc />
    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe($"{nameof(SqliteGrainStorage)}-{Name}", _options.InitStage, OpenAsync, CloseAsync);
    }

    /// <summary>Opens the file (replaying a journal left by a crash). Called by the silo lifecycle.</summary>
    internal async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_grains is not null) return;
        SqliteStorageOptionsValidator.ThrowIfInvalid(_options, Name, checkDirectory: true);
        var (store, grains) = await _registry.AcquireGrainsAsync(Name, _options, cancellationToken).ConfigureAwait(false);
        _store = store;
        Volatile.Write(ref _grains, grains);
        LogOpened(_logger, Name, store.Database.Path, _options.WriteBehind, grains.RecoveredRecords);
    }

    /// <summary>Flushes and closes the file (when no other provider of this silo uses it). Called by the silo lifecycle.</summary>
    internal async Task CloseAsync(CancellationToken cancellationToken)
    {
        var store = Interlocked.Exchange(ref _store, null);
        if (store is null) return;
        Volatile.Write(ref _grains, null);
        await _registry.ReleaseAsync(store).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        cancellationToken.ThrowIfCancellationRequested();
        var store = Store;
        string id = grainId.ToString();
        var record = store.Read(stateName, id);
        if (record?.Data is null)
        {
            // Nothing stored, or a tombstone left by a clear (its ETag is kept: versions are never reused).
            grainState.State = CreateInstance<T>();
            grainState.ETag = record?.ETag.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = false;
            return Task.CompletedTask;
        }
        T? state;
        try
        {
            state = _options.GrainStorageSerializer.Deserialize<T>(new BinaryData(record.Data));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw store.Corrupt(stateName, id, $"its data ({record.Data.Length} bytes, ETag '{record.ETag}') cannot be deserialized as {typeof(T)}: {e.Message}");
        }
        grainState.State = state ?? CreateInstance<T>();
        grainState.ETag = record.ETag.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var store = Store;
        var serializer = _options.GrainStorageSerializer;
        var data = serializer.Serialize(grainState.State);
        grainState.ETag = await store.WriteAsync(stateName, grainId.ToString(), data.ToMemory(), grainState.ETag, cancellationToken,
            handedOver: ReusedBufferGrainStorageSerializer.GivesOwnedArrays(serializer)).ConfigureAwait(false);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var store = Store;
        grainState.ETag = await store.ClearAsync(stateName, grainId.ToString(), grainState.ETag, cancellationToken).ConfigureAwait(false);
        grainState.RecordExists = false;
        grainState.State = CreateInstance<T>();
    }

    private T CreateInstance<T>() => _activatorProvider.GetActivator<T>().Create();

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite grain storage '{Name}' open on {Path} (write-behind {WriteBehind}, {Recovered} journal records replayed)")]
    private static partial void LogOpened(ILogger logger, string name, string path, bool writeBehind, long recovered);
}
