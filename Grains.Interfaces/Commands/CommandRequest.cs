using Imv.Grains.Interfaces.Twins;
using Orleans;

namespace Imv.Grains.Interfaces.Commands;

/// <summary>A command as an issuer submits it to a twin: write <see cref="Value"/> to <see cref="Tag"/>, or
/// call <see cref="Method"/> with <see cref="Arguments"/>. Submitting the same <see cref="CommandId"/> again
/// returns the first submission's record and does nothing else.</summary>
/// <param name="CommandId">Unique id chosen by the issuer (a Guid string, for instance).</param>
/// <param name="IssuerKind">Avatar or control loop.</param>
/// <param name="Issuer">The issuer's id (avatar or loop grain key).</param>
/// <param name="Tag">The tag to write; null for a method call.</param>
/// <param name="Method">The method to call; null for a tag write.</param>
/// <param name="Value">The value to write.</param>
/// <param name="Arguments">Method input arguments; null or empty for a tag write.</param>
/// <param name="Lifetime">How long the command may take to be applied; null for the twin's default.</param>
[GenerateSerializer]
public sealed record CommandRequest(
    [property: Id(0)] string CommandId,
    [property: Id(1)] IssuerKind IssuerKind,
    [property: Id(2)] string Issuer,
    [property: Id(3)] string? Tag,
    [property: Id(4)] string? Method,
    [property: Id(5)] TagValue Value,
    [property: Id(6)] IReadOnlyList<TagValue>? Arguments = null,
    [property: Id(7)] TimeSpan? Lifetime = null);

/// <summary>A command as the twin accepted it, with the instants that bound its life.</summary>
/// <param name="CommandId">Unique id.</param>
/// <param name="IssuerKind">Avatar or control loop.</param>
/// <param name="Issuer">The issuer's id.</param>
/// <param name="Target">The twin's id.</param>
/// <param name="Tag">The tag to write; null for a method call.</param>
/// <param name="Method">The method to call; null for a tag write.</param>
/// <param name="Payload">The value to write.</param>
/// <param name="Arguments">Method input arguments.</param>
/// <param name="IssuedAt">When the twin accepted it (UTC).</param>
/// <param name="ExpiresAt">When it expires unless applied (UTC).</param>
[GenerateSerializer]
[SuppressReferenceTracking]
public sealed record CommandEnvelope(
    [property: Id(0)] string CommandId,
    [property: Id(1)] IssuerKind IssuerKind,
    [property: Id(2)] string Issuer,
    [property: Id(3)] string Target,
    [property: Id(4)] string? Tag,
    [property: Id(5)] string? Method,
    [property: Id(6)] TagValue Payload,
    [property: Id(7)] IReadOnlyList<TagValue> Arguments,
    [property: Id(8)] DateTimeOffset IssuedAt,
    [property: Id(9)] DateTimeOffset ExpiresAt);

/// <summary>One step in a command's life: the audit trail.</summary>
/// <param name="Status">The status entered.</param>
/// <param name="At">When (UTC).</param>
/// <param name="Reason">Why (rejections, expiry, the source of a confirmation); null otherwise.</param>
[GenerateSerializer]
[SuppressReferenceTracking]
public sealed record CommandTransition(
    [property: Id(0)] CommandDeliveryStatus Status,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] string? Reason);

/// <summary>A command and everything that happened to it.</summary>
/// <param name="Envelope">The command.</param>
/// <param name="Status">Its current status.</param>
/// <param name="Reason">The reason of the last transition (why rejected or expired); null otherwise.</param>
/// <param name="Transitions">Every transition, oldest first, starting with Issued (or directly Rejected
/// when a check refused it).</param>
/// <param name="Outputs">Output arguments of a method call, once known.</param>
/// <param name="ReadBackDeadline">For a tag write on a twin that requires read-back: the instant by which the
/// tag must read back the commanded value; null when no read-back is required.</param>
[GenerateSerializer]
[SuppressReferenceTracking]
public sealed record CommandRecord(
    [property: Id(0)] CommandEnvelope Envelope,
    [property: Id(1)] CommandDeliveryStatus Status,
    [property: Id(2)] string? Reason,
    [property: Id(3)] IReadOnlyList<CommandTransition> Transitions,
    [property: Id(4)] IReadOnlyList<TagValue>? Outputs = null,
    [property: Id(5)] DateTimeOffset? ReadBackDeadline = null)
{
    /// <summary>True when the command can change no more: Applied, Rejected or Expired.</summary>
    public bool IsTerminal => Status is CommandDeliveryStatus.Applied or CommandDeliveryStatus.Rejected or CommandDeliveryStatus.Expired;
}
