using Imv.Grains.Interfaces.TwinIndex;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;

namespace Imv.Grains.TwinIndex;

/// <summary>A shard of the twin status index (see <see cref="ITwinStatusIndexGrain"/>). The entries are written behind:
/// a new twin or a changed place within <see cref="PlaceFlushPeriod"/>, a changed status within
/// <see cref="StatusFlushPeriod"/>, everything on deactivation. So a shard writes at most once a second however many
/// twins register at once (a write stores the whole shard: writing per registration would cost the square of its
/// size). What a crash can lose heals itself: at start the bootstrap configures its twins and every gateway describes
/// its twins again (both register them), and every twin's next status push adds it again.</summary>
public sealed class TwinStatusIndexGrain : Grain, ITwinStatusIndexGrain
{
    /// <summary>How soon a new twin or a changed place is written.</summary>
    public static readonly TimeSpan PlaceFlushPeriod = TimeSpan.FromSeconds(1);

    /// <summary>How soon a changed status is written.</summary>
    public static readonly TimeSpan StatusFlushPeriod = TimeSpan.FromSeconds(5);

    private readonly IPersistentState<TwinIndexState> _state;
    private readonly ILogger _logger;
    private TwinStatusIndexBook _book = null!;
    private bool _placeDirty, _statusDirty;
    private long _lastWrite;

    /// <summary>Created by the runtime.</summary>
    public TwinStatusIndexGrain([PersistentState("twinIndex")] IPersistentState<TwinIndexState> state, ILogger<TwinStatusIndexGrain>? logger = null)
    {
        _state = state;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var state = _state.State;
        try
        {
            _book = state.Packed is { } packed ? TwinStatusIndexBook.Unpack(packed) : new TwinStatusIndexBook(state.Entries ?? []);
        }
        catch (InvalidDataException ex)
        {
            // The activation fails and the stored row stays as it is (nothing is written over it).
            throw new InvalidDataException($"Twin index shard '{this.GetPrimaryKeyString()}' ({nameof(TwinIndexState)} \"twinIndex\"): {ex.Message}", ex);
        }
        if (state.Packed is null && state.Entries is { Count: > 0 })
        {
            // Stored by the first layout (one serialized entry each): migrated here, stored in the compact one within a second.
            _placeDirty = true;
            _logger.LogInformation("Twin index shard {Shard}: {Count} entries of the first stored layout read; storing them compactly", this.GetPrimaryKeyString(), _book.Count);
        }
        state.Entries = null;
        state.Packed = null;   // the book holds the entries; the stored form is built for each write
        _lastWrite = Environment.TickCount64;
        this.RegisterGrainTimer(FlushAsync, PlaceFlushPeriod, PlaceFlushPeriod);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        _placeDirty || _statusDirty ? WriteAsync(cancellationToken) : Task.CompletedTask;

    /// <inheritdoc />
    public async Task SetAsync(TwinIndexEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        switch (_book.Apply(entry))
        {
            case TwinIndexChange.Place:
                _placeDirty = true;
                await EnsureCatalogedAsync();
                break;
            case TwinIndexChange.Status:
                _statusDirty = true;
                break;
        }
    }

    /// <inheritdoc />
    public Task RemoveAsync(string twinId)
    {
        ArgumentException.ThrowIfNullOrEmpty(twinId);
        if (_book.Remove(twinId)) _placeDirty = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<TwinIndexPage> QueryAsync(TwinIndexQuery query) => Task.FromResult(_book.Query(query));

    /// <summary>Records this shard in the catalog with its first twin (written through, once per shard), so that a listing
    /// of every twin asks it.</summary>
    private async Task EnsureCatalogedAsync()
    {
        if (_state.State.Cataloged) return;
        await GrainFactory.GetGrain<ITwinIndexCatalogGrain>(ITwinIndexCatalogGrain.Key).AddShardAsync(this.GetPrimaryKeyString());
        _state.State.Cataloged = true;
    }

    private Task FlushAsync(CancellationToken cancellationToken)
    {
        bool due = _placeDirty || (_statusDirty && Environment.TickCount64 - _lastWrite >= (long)StatusFlushPeriod.TotalMilliseconds);
        return due ? WriteAsync(cancellationToken) : Task.CompletedTask;
    }

    private async Task WriteAsync(CancellationToken cancellationToken)
    {
        bool place = _placeDirty, status = _statusDirty;
        _placeDirty = _statusDirty = false;
        _lastWrite = Environment.TickCount64;
        try
        {
            _state.State.Packed = _book.Pack();
            await _state.WriteStateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _placeDirty |= place;
            _statusDirty |= status;
            _logger.LogWarning(ex, "Twin index shard {Shard} could not store its {Count} entries; trying again", this.GetPrimaryKeyString(), _book.Count);
        }
        finally
        {
            _state.State.Packed = null;   // stored (or to be built again): not kept next to the book
        }
    }
}
