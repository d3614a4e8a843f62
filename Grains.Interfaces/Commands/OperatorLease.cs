using Orleans;

namespace Imv.Grains.Interfaces.Commands;

/// <summary>Write control of a twin, held by one avatar at a time. While it is held, commands of every
/// other issuer (avatars and control loops alike) are rejected. It ends when released or at <see cref="ExpiresAt"/>.</summary>
/// <param name="Holder">The avatar holding it.</param>
/// <param name="AcquiredAt">When it was first granted (UTC).</param>
/// <param name="ExpiresAt">When it lapses unless renewed (UTC).</param>
[GenerateSerializer]
public sealed record OperatorLease(
    [property: Id(0)] string Holder,
    [property: Id(1)] DateTimeOffset AcquiredAt,
    [property: Id(2)] DateTimeOffset ExpiresAt);

/// <summary>The answer to a lease request.</summary>
/// <param name="Granted">True when the requester holds the lease now (granted or renewed).</param>
/// <param name="Lease">The lease in force (the requester's, or the other holder's when refused); null when none.</param>
/// <param name="Reason">Why it was refused; null when granted.</param>
[GenerateSerializer]
public sealed record LeaseResult(
    [property: Id(0)] bool Granted,
    [property: Id(1)] OperatorLease? Lease,
    [property: Id(2)] string? Reason);
