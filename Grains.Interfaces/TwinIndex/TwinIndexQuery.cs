using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.TwinIndex;

/// <summary>A filter over an index shard, and how many of the first matching entries (in twin id order) to return.</summary>
/// <param name="Kind">Only twins of this kind; null for any.</param>
/// <param name="State">Only twins in this run state; null for any.</param>
/// <param name="Alarmed">True: only twins with an active alarm; false: only twins without; null: any.</param>
/// <param name="Take">Return matching entries, in id order, until this many are returned (or, with
/// <paramref name="WeighByAlarms"/>, until their active alarms add up to this many).</param>
/// <param name="WeighByAlarms">Count each entry as its active alarms rather than as one (for paging alarms).</param>
/// <param name="Now">The instant the states are read at (<see cref="TwinIndexEntry.StateAt(DateTimeOffset)"/>).</param>
[GenerateSerializer, Immutable]
public sealed record TwinIndexQuery(
    [property: Id(0)] TwinKind? Kind,
    [property: Id(1)] MachineRunState? State,
    [property: Id(2)] bool? Alarmed,
    [property: Id(3)] int Take,
    [property: Id(4)] bool WeighByAlarms = false,
    [property: Id(5)] DateTimeOffset Now = default)
{
    /// <summary>Whether <paramref name="entry"/> passes the filter.</summary>
    public bool Matches(TwinIndexEntry entry) => entry is not null && Matches(entry.Kind, entry.StateAt(Now), entry.ActiveAlarms);

    /// <summary>Whether a twin of <paramref name="kind"/>, in <paramref name="stateNow"/> (its state at <see cref="Now"/>)
    /// with <paramref name="activeAlarms"/>, passes the filter.</summary>
    public bool Matches(TwinKind kind, MachineRunState stateNow, int activeAlarms) =>
        (Kind is null || kind == Kind) && (State is null || stateNow == State) && (Alarmed is null || (activeAlarms > 0) == Alarmed);

    /// <summary>What an entry counts for towards <see cref="Take"/> and <see cref="TwinIndexPage.Weight"/>.</summary>
    public int WeightOf(TwinIndexEntry entry) => WeightOf(entry?.ActiveAlarms ?? 0);

    /// <summary>What a twin with <paramref name="activeAlarms"/> counts for towards <see cref="Take"/> and <see cref="TwinIndexPage.Weight"/>.</summary>
    public int WeightOf(int activeAlarms) => WeighByAlarms ? Math.Max(0, activeAlarms) : 1;
}
