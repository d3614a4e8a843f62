using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Persistence.Recording;

/// <summary>One entry of the recording: readings a twin accepted at one instant, or one command transition.</summary>
/// <param name="Position">The entry's position in the recording (grows with every entry; orders a twin's entries).</param>
/// <param name="TwinId">The twin.</param>
/// <param name="At">When the twin accepted the readings or the command moved (UTC).</param>
/// <param name="Readings">The readings accepted, in the order applied; empty for a command.</param>
/// <param name="Command">The command transition; null for readings.</param>
public sealed record RecordedEntry(long Position, string TwinId, DateTimeOffset At, IReadOnlyList<TagUpdate> Readings, RecordedCommand? Command);

/// <summary>A command as one transition left it.</summary>
/// <param name="CommandId">The command.</param>
/// <param name="IssuerKind">Avatar or control loop.</param>
/// <param name="Issuer">The issuer's id.</param>
/// <param name="Tag">The tag written; null for a method call.</param>
/// <param name="Method">The method called; null for a tag write.</param>
/// <param name="Payload">The value written.</param>
/// <param name="Status">The status entered.</param>
/// <param name="Reason">Why (rejections, expiry); null otherwise.</param>
public sealed record RecordedCommand(string CommandId, IssuerKind IssuerKind, string Issuer, string? Tag, string? Method, TagValue Payload,
    CommandDeliveryStatus Status, string? Reason);
