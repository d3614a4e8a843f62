using Orleans.Concurrency;

namespace Imv.Silo.Security;

/// <summary>The API keys of the grid (hashes only). One grain, key <see cref="Key"/>; silos read it through
/// <see cref="ApiKeyStore"/>, which caches it for a moment.</summary>
[SiloOnly]
public interface IApiKeyRegistryGrain : IGrainWithStringKey
{
    /// <summary>The grain's key.</summary>
    const string Key = "api-keys";

    /// <summary>Adds a key; with <paramref name="onlyIfNone"/>, only when the registry holds no key at all (the first
    /// start of a grid: of several silos starting together, one creates the administrator key). True when added.</summary>
    Task<bool> AddAsync(ApiKeyRecord record, bool onlyIfNone);

    /// <summary>Revokes a key; the revoked record, or null when no such key exists. Revoking twice keeps the first revocation.</summary>
    Task<ApiKeyRecord?> RevokeAsync(string keyId, string revokedBy, DateTimeOffset at);

    /// <summary>Every key, revoked ones included.</summary>
    [ReadOnly]
    Task<IReadOnlyList<ApiKeyRecord>> ListAsync();
}
