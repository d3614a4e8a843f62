using System.Collections.Frozen;

namespace Imv.Silo.Security;

/// <summary>This silo's view of the API keys: the registry grain's records by hash, read again when older than
/// <see cref="MaxAge"/> (a key revoked on another silo stops working here within that time) or on a miss at most
/// every <see cref="MissRefresh"/> (a key just created on another silo works at once).</summary>
public sealed class ApiKeyStore(IGrainFactory grains, TimeProvider time)
{
    /// <summary>How long the cached records are used.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    /// <summary>The shortest interval between two reads caused by unknown keys.</summary>
    public static readonly TimeSpan MissRefresh = TimeSpan.FromMilliseconds(500);

    private volatile Snapshot? _snapshot;
    private readonly SemaphoreSlim _refresh = new(1, 1);

    private sealed record Snapshot(FrozenDictionary<string, ApiKeyRecord> ByHash, long ReadAt);

    private IApiKeyRegistryGrain Registry => grains.GetGrain<IApiKeyRegistryGrain>(IApiKeyRegistryGrain.Key);

    /// <summary>The valid (not revoked) record of <paramref name="key"/>; null when unknown or revoked.</summary>
    public async ValueTask<ApiKeyRecord?> FindAsync(string key, CancellationToken cancellationToken)
    {
        if (!ApiKey.LooksLikeKey(key)) return null;
        var hash = ApiKey.Hash(key);
        var snapshot = _snapshot;
        if (snapshot is null || time.GetElapsedTime(snapshot.ReadAt) > MaxAge) snapshot = await RefreshAsync(snapshot, cancellationToken).ConfigureAwait(false);
        if (!snapshot.ByHash.TryGetValue(hash, out var record) && time.GetElapsedTime(snapshot.ReadAt) > MissRefresh)
        {
            snapshot = await RefreshAsync(snapshot, cancellationToken).ConfigureAwait(false);
            snapshot.ByHash.TryGetValue(hash, out record);
        }
        return record is { RevokedAt: null } ? record : null;
    }

    /// <summary>Every record.</summary>
    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync() => Registry.ListAsync();

    /// <summary>Creates a key for <paramref name="avatarId"/>; the key text is returned here only.</summary>
    public async Task<(ApiKeyRecord Record, string Key)?> CreateAsync(string avatarId, string name, string createdBy, bool onlyIfNone)
    {
        var (keyId, key) = ApiKey.Create();
        var record = new ApiKeyRecord(keyId, avatarId, ApiKey.Hash(key), name, time.GetUtcNow(), createdBy);
        if (!await Registry.AddAsync(record, onlyIfNone).ConfigureAwait(false)) return null;
        _snapshot = null;
        return (record, key);
    }

    /// <summary>Revokes a key; null when unknown.</summary>
    public async Task<ApiKeyRecord?> RevokeAsync(string keyId, string revokedBy)
    {
        var record = await Registry.RevokeAsync(keyId, revokedBy, time.GetUtcNow()).ConfigureAwait(false);
        _snapshot = null;
        return record;
    }

    private async Task<Snapshot> RefreshAsync(Snapshot? seen, CancellationToken cancellationToken)
    {
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another request refreshed while this one waited.
            if (_snapshot is { } current && !ReferenceEquals(current, seen)) return current;
            var records = await Registry.ListAsync().ConfigureAwait(false);
            var fresh = new Snapshot(records.ToFrozenDictionary(r => r.Hash, StringComparer.Ordinal), time.GetTimestamp());
            _snapshot = fresh;
            return fresh;
        }
        finally
        {
            _refresh.Release();
        }
    }
}
