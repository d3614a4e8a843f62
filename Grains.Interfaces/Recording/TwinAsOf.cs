using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Orleans;

namespace Imv.Grains.Interfaces.Recording;

/// <summary>A tag as it was: its last accepted reading at or before the instant asked.</summary>
[GenerateSerializer, Immutable]
public sealed record TagAsOf([property: Id(0)] string Name, [property: Id(1)] TagValue Value, [property: Id(2)] TagQuality Quality,
    [property: Id(3)] DateTimeOffset SourceTimestamp, [property: Id(4)] DateTimeOffset ReceivedTimestamp, [property: Id(5)] long Sequence,
    [property: Id(6)] AlarmLevel Alarm);

/// <summary>An alarm active at the instant asked.</summary>
[GenerateSerializer, Immutable]
public sealed record AlarmAsOf([property: Id(0)] string Tag, [property: Id(1)] AlarmLevel Level, [property: Id(2)] double Value);

/// <summary>A command as its last transition at or before the instant asked left it.</summary>
[GenerateSerializer, Immutable]
public sealed record CommandAsOf([property: Id(0)] string CommandId, [property: Id(1)] IssuerKind IssuerKind, [property: Id(2)] string Issuer,
    [property: Id(3)] string? Tag, [property: Id(4)] string? Method, [property: Id(5)] CommandDeliveryStatus Status, [property: Id(6)] string? Reason,
    [property: Id(7)] DateTimeOffset At);

/// <summary>The twin as it was at <see cref="At"/>, rebuilt from the plant recording: tags (never-read tags are left
/// out), alarms, the shadow's reported side, and the commands known then (newest first, at most 100).</summary>
[GenerateSerializer, Immutable]
public sealed record TwinAsOf([property: Id(0)] string TwinId, [property: Id(1)] DateTimeOffset At, [property: Id(2)] DateTimeOffset RecordedFrom,
    [property: Id(3)] DateTimeOffset RecordedTo, [property: Id(4)] IReadOnlyList<TagAsOf> Tags, [property: Id(5)] IReadOnlyList<AlarmAsOf> Alarms,
    [property: Id(6)] IReadOnlyDictionary<string, TagValue> ShadowReported, [property: Id(7)] IReadOnlyList<CommandAsOf> Commands);
