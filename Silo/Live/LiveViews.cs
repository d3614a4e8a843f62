using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Interfaces.Watching;

namespace Imv.Silo.Live;

/// <summary>What the live page receives about a twin (one server-sent event <c>twin</c>).</summary>
/// <param name="TwinId">The twin.</param>
/// <param name="Kind">"snapshot" (every tag: the start, or after a gap), "change", "lost" or "restored".</param>
/// <param name="Reason">Why (a gap, a lost subscription).</param>
/// <param name="Connectivity">Online, Reconnecting, Offline.</param>
/// <param name="State">The machine's run state (snapshots only).</param>
/// <param name="Tags">The tags (all of them in a snapshot, the changed ones in a change).</param>
/// <param name="Alarms">Alarms raised or cleared by the change.</param>
/// <param name="Commands">Commands that moved.</param>
public sealed record LiveTwin(string TwinId, string Kind, string? Reason, string? Connectivity, string? State,
    IReadOnlyList<LiveTag> Tags, IReadOnlyList<AlarmEvent> Alarms, IReadOnlyList<LiveCommand> Commands)
{
    /// <summary>A snapshot (start or gap).</summary>
    public static LiveTwin Of(TwinSnapshot s, string kind, string? reason) =>
        new(s.TwinId, kind, reason, s.Connectivity.ToString(), s.Status.State.ToString(), [.. s.Tags.Select(LiveTag.Of)], [], []);

    /// <summary>A change.</summary>
    public static LiveTwin Of(TwinChange c) =>
        new(c.TwinId, "change", null, c.Connectivity.ToString(), null, [.. c.Tags.Select(LiveTag.Of)], c.Alarms, [.. c.Commands.Select(LiveCommand.Of)]);
}

/// <summary>One tag on the page.</summary>
public sealed record LiveTag(string Name, TagValue Value, TagQuality Quality, AlarmLevel Alarm, DateTimeOffset? SourceTimestamp)
{
    /// <summary>The view of a tag snapshot.</summary>
    public static LiveTag Of(TagSnapshot t) => new(t.Name, t.Value, t.Quality, t.Alarm, t.SourceTimestamp == default ? null : t.SourceTimestamp);
}

/// <summary>One command on the page.</summary>
public sealed record LiveCommand(string CommandId, CommandDeliveryStatus Status, string? Reason, string Issuer, string? Tag, string? Method,
    TagValue Payload, IReadOnlyList<CommandTransition> Transitions)
{
    /// <summary>The view of a command record.</summary>
    public static LiveCommand Of(CommandRecord r) =>
        new(r.Envelope.CommandId, r.Status, r.Reason, r.Envelope.Issuer, r.Envelope.Tag, r.Envelope.Method, r.Envelope.Payload, r.Transitions);
}

/// <summary>An organization's aggregate on the page (one server-sent event <c>org</c>).</summary>
public sealed record LiveOrganization(string Id, string Kind, string? Reason, Api.OrganizationEndpoints.AggregateView Aggregate);
