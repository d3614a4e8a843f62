using Orleans;

namespace Imv.Grains.Interfaces.Identity;

/// <summary>The outcome of a registration.</summary>
public enum RegistrationStatus : byte
{
    /// <summary>The identifier is now bound to the virtual id.</summary>
    Registered = 0,
    /// <summary>Rejected: the identifier was already bound (see <see cref="IdentityRegistration.ExistingVirtualId"/>).</summary>
    Duplicate = 1,
}

/// <summary>The outcome of a look-up.</summary>
public enum ResolutionStatus : byte
{
    /// <summary>The identifier is bound; the virtual id is given.</summary>
    Found = 0,
    /// <summary>The identifier is not bound to anything.</summary>
    NotFound = 1,
}

/// <summary>The result of <see cref="IIdentityRegistryGrain.RegisterAsync"/>.</summary>
/// <param name="Status">Registered or Duplicate.</param>
/// <param name="Identifier">The identifier, canonical.</param>
/// <param name="ExistingVirtualId">For Duplicate: the virtual id the identifier is already bound to.</param>
[GenerateSerializer]
public sealed record IdentityRegistration(
    [property: Id(0)] RegistrationStatus Status,
    [property: Id(1)] PhysicalIdentifier Identifier,
    [property: Id(2)] string? ExistingVirtualId = null);

/// <summary>The result of a look-up.</summary>
/// <param name="Status">Found or NotFound.</param>
/// <param name="Identifier">The identifier looked up.</param>
/// <param name="VirtualId">For Found: the virtual id (grain key) it is bound to.</param>
[GenerateSerializer]
public sealed record IdentityResolution(
    [property: Id(0)] ResolutionStatus Status,
    [property: Id(1)] PhysicalIdentifier Identifier,
    [property: Id(2)] string? VirtualId = null);

/// <summary>What one registry shard holds.</summary>
/// <param name="Bindings">Identifiers bound in this shard.</param>
/// <param name="ReverseEntries">Reverse entries (virtual id to identifier) held in this shard.</param>
/// <param name="PendingReverse">Bindings whose reverse entry is not confirmed yet (retried on activation).</param>
[GenerateSerializer]
public sealed record IdentityShardCounts(
    [property: Id(0)] int Bindings,
    [property: Id(1)] int ReverseEntries,
    [property: Id(2)] int PendingReverse);
