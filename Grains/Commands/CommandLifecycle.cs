using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Grains.Commands;

/// <summary>The rules of a command's life: Issued -> Delivered -> Acked -> Applied, steps may be skipped but
/// never taken back; Rejected and Expired end it from any non-terminal status; a terminal status never changes.</summary>
public static class CommandLifecycle
{
    /// <summary>A new record: Issued, or Rejected at once when <paramref name="rejection"/> is given.</summary>
    public static CommandRecord Start(CommandEnvelope envelope, string? rejection, DateTimeOffset? readBackDeadline)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var status = rejection is null ? CommandDeliveryStatus.Issued : CommandDeliveryStatus.Rejected;
        return new CommandRecord(envelope, status, rejection, [new CommandTransition(status, envelope.IssuedAt, rejection)],
            null, rejection is null ? readBackDeadline : null);
    }

    /// <summary>Whether a record in <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool CanMove(CommandDeliveryStatus from, CommandDeliveryStatus to)
    {
        if (IsTerminal(from)) return false;
        return to switch
        {
            CommandDeliveryStatus.Rejected or CommandDeliveryStatus.Expired => true,
            CommandDeliveryStatus.Delivered or CommandDeliveryStatus.Acked or CommandDeliveryStatus.Applied => to > from,
            _ => false,
        };
    }

    /// <summary>True for Applied, Rejected and Expired.</summary>
    public static bool IsTerminal(CommandDeliveryStatus status) =>
        status is CommandDeliveryStatus.Applied or CommandDeliveryStatus.Rejected or CommandDeliveryStatus.Expired;

    /// <summary>The record after moving to <paramref name="to"/>; null when the move is not allowed (the record stays as it is).</summary>
    public static CommandRecord? Move(CommandRecord record, CommandDeliveryStatus to, DateTimeOffset at, string? reason, IReadOnlyList<TagValue>? outputs = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!CanMove(record.Status, to)) return null;
        var transitions = new List<CommandTransition>(record.Transitions.Count + 1);
        transitions.AddRange(record.Transitions);
        transitions.Add(new CommandTransition(to, at, reason));
        return record with { Status = to, Reason = reason, Transitions = transitions, Outputs = outputs ?? record.Outputs };
    }

    /// <summary>Where a confirmation from the plant (gateway answer or device report) takes a record: a
    /// confirmation of Applied becomes Acked while a read-back is still awaited.</summary>
    public static (CommandDeliveryStatus Status, string? Reason) Confirmation(CommandRecord record, CommandDeliveryStatus reported, string? reason)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (reported == CommandDeliveryStatus.Applied && record.ReadBackDeadline is not null)
            return (CommandDeliveryStatus.Acked, reason ?? "confirmed by the plant; awaiting read-back");
        return (reported, reason);
    }

    /// <summary>Whether the record has run out of time at <paramref name="now"/>, and why.</summary>
    /// <param name="record">The command.</param>
    /// <param name="now">The twin's clock.</param>
    /// <param name="lastRead">The tag's value as last read, for the reason of an expired read-back (null: never read or not known).</param>
    public static string? DueExpiry(CommandRecord record, DateTimeOffset now, TagValue? lastRead = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (IsTerminal(record.Status)) return null;
        if (record.ReadBackDeadline is { } rb && now > rb && now <= record.Envelope.ExpiresAt)
            return ReadBack(record, lastRead) + " before the read-back timeout";
        if (now > record.Envelope.ExpiresAt)
            return record.ReadBackDeadline is not null ? ReadBack(record, lastRead) + " before expiry" : $"{What(record)} not confirmed before expiry";
        return null;
    }

    /// <summary>"tag 'Setpoint' did not read back the commanded value 42.5 (last read 40.0 at ...)".</summary>
    private static string ReadBack(CommandRecord record, TagValue? lastRead) =>
        $"tag '{record.Envelope.Tag}' did not read back the commanded value {record.Envelope.Payload}"
        + (lastRead is { IsNone: false } v ? $" (last read {v})" : " (no reading since)");

    private static string What(CommandRecord record) =>
        record.Envelope.Method is { } m ? $"method '{m}'" : $"write of {record.Envelope.Payload} to tag '{record.Envelope.Tag}'";
}
