using Imv.Grains.Interfaces.Access;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Identity;

/// <summary>One shard of the identity registry, which binds physical identifiers to virtual ids (grain keys)
/// and back. The registry is split into <see cref="IdentityRegistry.ShardCount"/> shards by a stable hash:
/// the binding of an identifier lives in the shard of the identifier, and the reverse entry (virtual id to
/// its identifiers) in the shard of the virtual id, so no single grain is on every look-up. Use
/// <see cref="IdentityRegistry"/> to reach the right shard; the key is <see cref="IdentityRegistry.ShardKey(int)"/>.</summary>
public interface IIdentityRegistryGrain : IGrainWithStringKey
{
    /// <summary>Binds <paramref name="identifier"/> to <paramref name="virtualId"/> (persisted, reverse entry
    /// pending). Rejected (Duplicate) when the identifier is already bound, even to the same virtual id. The
    /// identifier must belong to this shard (<see cref="ArgumentException"/> otherwise). Shards never wait on
    /// each other (two shards registering into each other would deadlock): the caller,
    /// <see cref="IdentityRegistry.RegisterIdentityAsync"/>, adds the reverse entry and confirms it; a shard
    /// re-sends unconfirmed reverse entries, without waiting, when it activates.</summary>
    [SiloOnly]
    Task<IdentityRegistration> RegisterAsync(PhysicalIdentifier identifier, string virtualId);

    /// <summary>Marks the reverse entry of a binding as recorded. Idempotent.</summary>
    [SiloOnly]
    Task ConfirmReverseAsync(PhysicalIdentifier identifier);

    /// <summary>Removes the binding of <paramref name="identifier"/>; returns the virtual id it was bound to, or
    /// null when it was not bound. The caller (<see cref="IdentityRegistry.UnregisterIdentityAsync"/>) removes the
    /// reverse entry.</summary>
    [SiloOnly]
    Task<string?> UnregisterAsync(PhysicalIdentifier identifier);

    /// <summary>Looks up an identifier of this shard.</summary>
    [ClientRight(Right.Read)]
    [ReadOnly]
    Task<IdentityResolution> ResolveAsync(PhysicalIdentifier identifier);

    /// <summary>Looks up many identifiers of this shard at once, in order.</summary>
    [ClientRight(Right.Read)]
    [ReadOnly]
    Task<IReadOnlyList<IdentityResolution>> ResolveManyAsync(IReadOnlyList<PhysicalIdentifier> identifiers);

    /// <summary>The identifiers bound to <paramref name="virtualId"/> (a virtual id of this shard), in canonical order.</summary>
    [ClientRight(Right.Read)]
    [ReadOnly]
    Task<IReadOnlyList<PhysicalIdentifier>> GetIdentifiersAsync(string virtualId);

    /// <summary>Internal step: records that <paramref name="identifier"/> is bound to <paramref name="virtualId"/>
    /// in the reverse index. Idempotent.</summary>
    [SiloOnly]
    Task AddReverseAsync(string virtualId, PhysicalIdentifier identifier);

    /// <summary>Internal step: removes a reverse entry. Idempotent.</summary>
    [SiloOnly]
    Task RemoveReverseAsync(string virtualId, PhysicalIdentifier identifier);

    /// <summary>How many bindings and reverse entries this shard holds.</summary>
    [ClientRight(Right.Read)]
    [ReadOnly]
    Task<IdentityShardCounts> GetCountsAsync();
}
