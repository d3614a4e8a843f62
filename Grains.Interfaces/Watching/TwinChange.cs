using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Orleans;

namespace Imv.Grains.Interfaces.Watching;

/// <summary>What changed on a twin in one of its turns, after it was stored.</summary>
/// <param name="TwinId">The twin.</param>
/// <param name="Position">The change's place in the twin's feed.</param>
/// <param name="Connectivity">The twin's connectivity after the change.</param>
/// <param name="Tags">The tags that changed, as read after the change (every tag when the connectivity changed).</param>
/// <param name="Alarms">Alarms raised or cleared by the change.</param>
/// <param name="Commands">Command records that moved (issued, delivered, applied, rejected, expired).</param>
/// <param name="ShadowVersion">The shadow's version after the change.</param>
[GenerateSerializer, Immutable]
public sealed record TwinChange(
    [property: Id(0)] string TwinId,
    [property: Id(1)] WatchPosition Position,
    [property: Id(2)] TwinConnectivity Connectivity,
    [property: Id(3)] IReadOnlyList<TagSnapshot> Tags,
    [property: Id(4)] IReadOnlyList<AlarmEvent> Alarms,
    [property: Id(5)] IReadOnlyList<CommandRecord> Commands,
    [property: Id(6)] long ShadowVersion);

/// <summary>The answer to a watch (or its renewal): where the feed stands and the twin as of that position.</summary>
/// <param name="Position">The last change published before the snapshot.</param>
/// <param name="Snapshot">The twin now.</param>
[GenerateSerializer, Immutable]
public sealed record TwinWatch([property: Id(0)] WatchPosition Position, [property: Id(1)] TwinSnapshot Snapshot);
