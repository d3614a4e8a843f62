namespace Imv.Silo.Security;

/// <summary>Keeps the API key records (see <see cref="IApiKeyRegistryGrain"/>).</summary>
internal sealed class ApiKeyRegistryGrain([PersistentState("apiKeys")] IPersistentState<ApiKeyRegistryState> state) : Grain, IApiKeyRegistryGrain
{
    /// <inheritdoc />
    public async Task<bool> AddAsync(ApiKeyRecord record, bool onlyIfNone)
    {
        ArgumentNullException.ThrowIfNull(record);
        var keys = state.State.Keys;
        if (onlyIfNone && keys.Count > 0) return false;
        if (keys.Exists(k => k.KeyId == record.KeyId || k.Hash == record.Hash)) throw new ArgumentException($"Key '{record.KeyId}' exists already.", nameof(record));
        keys.Add(record);
        await state.WriteStateAsync();
        return true;
    }

    /// <inheritdoc />
    public async Task<ApiKeyRecord?> RevokeAsync(string keyId, string revokedBy, DateTimeOffset at)
    {
        var keys = state.State.Keys;
        int i = keys.FindIndex(k => k.KeyId == keyId);
        if (i < 0) return null;
        if (keys[i].RevokedAt is not null) return keys[i];
        keys[i] = keys[i] with { RevokedAt = at, RevokedBy = revokedBy };
        await state.WriteStateAsync();
        return keys[i];
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ApiKeyRecord>> ListAsync() => Task.FromResult<IReadOnlyList<ApiKeyRecord>>([.. state.State.Keys]);
}
