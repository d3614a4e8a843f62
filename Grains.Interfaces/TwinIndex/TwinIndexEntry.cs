using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.TwinIndex;

/// <summary>What the twin status index knows of one twin: enough to list and filter twins without calling them.
/// Written by the twin itself (when it is configured or described, and with every status push).</summary>
/// <param name="TwinId">The twin's id.</param>
/// <param name="Kind">Equipment, material or product.</param>
/// <param name="OrganizationId">The organization the twin reports to; null when none.</param>
/// <param name="Gateway">The gateway connection the twin is reached through; null when unknown.</param>
/// <param name="State">The run state the twin last pushed.</param>
/// <param name="ActiveAlarms">The active alarm count the twin last pushed.</param>
/// <param name="ReportedAt">When the twin built that status (its clock); orders pushes.</param>
/// <param name="StaleAt">When every value of the twin goes stale if no reading arrives (its state then reads
/// <see cref="MachineRunState.Unknown"/>, as the twin itself says when asked); null when never. The twin pushes again
/// before half of that time is gone while readings arrive.</param>
[GenerateSerializer, Immutable]
public sealed record TwinIndexEntry(
    [property: Id(0)] string TwinId,
    [property: Id(1)] TwinKind Kind,
    [property: Id(2)] string? OrganizationId,
    [property: Id(3)] string? Gateway,
    [property: Id(4)] MachineRunState State,
    [property: Id(5)] int ActiveAlarms,
    [property: Id(6)] DateTimeOffset ReportedAt,
    [property: Id(7)] DateTimeOffset? StaleAt = null)
{
    /// <summary>The run state at <paramref name="now"/>: <see cref="State"/>, or Unknown once every value went stale.</summary>
    public MachineRunState StateAt(DateTimeOffset now) => StateAt(State, StaleAt, now);

    /// <summary>The run state at <paramref name="now"/> of a twin that pushed <paramref name="state"/> with
    /// <paramref name="staleAt"/>: the state, or Unknown once every value went stale (an offline twin stays offline).</summary>
    public static MachineRunState StateAt(MachineRunState state, DateTimeOffset? staleAt, DateTimeOffset now) =>
        staleAt is { } at && now >= at && state != MachineRunState.Offline ? MachineRunState.Unknown : state;

    /// <summary>Whether the entry says the same about the twin's place (kind, organization, gateway) as <paramref name="other"/>.</summary>
    public bool SamePlace(TwinIndexEntry other) =>
        other is not null && Kind == other.Kind && string.Equals(OrganizationId, other.OrganizationId, StringComparison.Ordinal)
        && string.Equals(Gateway, other.Gateway, StringComparison.Ordinal);
}
