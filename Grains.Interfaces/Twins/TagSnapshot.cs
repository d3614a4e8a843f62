using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>One tag of a twin as read now.</summary>
/// <param name="Name">The tag's name.</param>
/// <param name="Value">Its latest value; <see cref="TagValue.None"/> when never read.</param>
/// <param name="Quality">Its effective quality: the source's, turned Uncertain when older than the tag's
/// staleness bound (see <paramref name="Stale"/>) or restored from storage and not read since, Bad while the device is offline.</param>
/// <param name="SourceTimestamp">When the plant sampled the value (UTC).</param>
/// <param name="ReceivedTimestamp">When the twin received it (UTC).</param>
/// <param name="Sequence">The source's sequence number of the value.</param>
/// <param name="Staleness">Time since the twin received the value.</param>
/// <param name="Alarm">The tag's active alarm level.</param>
/// <param name="LastRejection">The last reading of the tag the twin refused (and how many); null when none.</param>
/// <param name="Stale">True when the value is older (by receipt) than the tag's staleness bound
/// (<see cref="TagMetadata.ExpectedPeriod"/>, else the twin's <c>StaleAfter</c>, else 60 s); its quality then reads Uncertain.</param>
[GenerateSerializer]
public sealed record TagSnapshot(
    [property: Id(0)] string Name,
    [property: Id(1)] TagValue Value,
    [property: Id(2)] TagQuality Quality,
    [property: Id(3)] DateTimeOffset SourceTimestamp,
    [property: Id(4)] DateTimeOffset ReceivedTimestamp,
    [property: Id(5)] long Sequence,
    [property: Id(6)] TimeSpan Staleness,
    [property: Id(7)] AlarmLevel Alarm,
    [property: Id(8)] TagRejection? LastRejection = null,
    [property: Id(9)] bool Stale = false);

/// <summary>A twin as read now.</summary>
/// <param name="TwinId">The twin's id.</param>
/// <param name="Kind">Equipment, material or product.</param>
/// <param name="Coupling">How the twin is coupled to its machine.</param>
/// <param name="Connectivity">Whether the device can be reached.</param>
/// <param name="Tags">Every tag, in the order the twin learned them.</param>
/// <param name="LastUpdate">When the twin last received a reading of any tag; null when never.</param>
/// <param name="Staleness">Time since <paramref name="LastUpdate"/>; null when never.</param>
/// <param name="AppliedCount">Readings applied since the twin was created.</param>
/// <param name="StaleCount">Readings ignored as older than the stored value.</param>
/// <param name="DuplicateCount">Readings ignored as duplicates.</param>
/// <param name="RejectedCount">Readings refused.</param>
/// <param name="Status">The machine summary organizations aggregate.</param>
[GenerateSerializer]
public sealed record TwinSnapshot(
    [property: Id(0)] string TwinId,
    [property: Id(1)] TwinKind Kind,
    [property: Id(2)] CouplingMode Coupling,
    [property: Id(3)] Plant.TwinConnectivity Connectivity,
    [property: Id(4)] IReadOnlyList<TagSnapshot> Tags,
    [property: Id(5)] DateTimeOffset? LastUpdate,
    [property: Id(6)] TimeSpan? Staleness,
    [property: Id(7)] long AppliedCount,
    [property: Id(8)] long StaleCount,
    [property: Id(9)] long DuplicateCount,
    [property: Id(10)] long RejectedCount,
    [property: Id(11)] MachineStatus Status);
