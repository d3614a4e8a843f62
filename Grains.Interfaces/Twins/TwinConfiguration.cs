using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>How a twin is set up. Every list may be empty; tags not listed are learned from gateway
/// descriptions and from telemetry (as read-only tags of the data type first seen).</summary>
/// <param name="Kind">Equipment, material or product.</param>
/// <param name="Coupling">How the twin is coupled to its machine.</param>
/// <param name="Gateway">The name of the gateway connection commands go out through; null until a gateway
/// describes the twin.</param>
/// <param name="OrganizationId">The parent organization, to which the twin reports its <see cref="MachineStatus"/>; null for none.</param>
/// <param name="Tags">Tag metadata: data type, unit, writability, command limits, expected period.</param>
/// <param name="AlarmBands">Alarm limits per numeric tag.</param>
/// <param name="AuthorizedIssuers">Avatar ids allowed to command the twin besides those whose scopes
/// include the twin or its organization.</param>
/// <param name="ControlLoops">Ids of the control loops allowed to command the twin (a loop is authorized
/// only by being listed here).</param>
/// <param name="Methods">Method names commands may call on the device.</param>
/// <param name="RequireReadBack">True: a tag write is Applied only once the tag reads back the commanded
/// value, before <paramref name="ReadBackTimeout"/>; false: the gateway's or device's confirmation suffices.</param>
/// <param name="ReadBackTimeout">How long a write may wait for its read-back (also bounded by the command's expiry). Null: 10 s.</param>
/// <param name="DefaultCommandLifetime">Lifetime of commands that give none. Null: 30 s.</param>
/// <param name="Status">Which tags give the machine's run state and OEE counts; null for none.</param>
/// <param name="DescribedMethods">The methods gateways described (OPC UA discovery, JSON mappings), per gateway,
/// with their input arguments; kept by the twin from <c>TwinDescription.Methods</c> (a configuration given to
/// <c>ConfigureAsync</c> cannot set them). Commands may call them besides <paramref name="Methods"/>.</param>
/// <param name="TriggeredLoops">Control loops told (one-way) after every batch that changed a tag, so they react to a new measurement at once instead of at their next sample.</param>
/// <param name="StaleAfter">The staleness bound of the twin's tags that have no <see cref="TagMetadata.ExpectedPeriod"/> of their
/// own: a tag received longer ago reads Uncertain and counts as stale. Null: <see cref="DefaultStaleAfter"/>;
/// <see cref="TimeSpan.Zero"/>: never stale.</param>
/// <param name="DescribedAlarmBands">The alarm bands the twin's gateway described (<c>TwinDescription.AlarmBands</c>); used
/// when <paramref name="AlarmBands"/> is null. Only a gateway's description sets them.</param>
/// <param name="DescribedStatus">The status mapping the twin's gateway described (<c>TwinDescription.Status</c>); used when
/// <paramref name="Status"/> is null. Only a gateway's description sets it.</param>
[GenerateSerializer]
public sealed record TwinConfiguration(
    [property: Id(0)] TwinKind Kind = TwinKind.Equipment,
    [property: Id(1)] CouplingMode Coupling = CouplingMode.MutualDependence,
    [property: Id(2)] string? Gateway = null,
    [property: Id(3)] string? OrganizationId = null,
    [property: Id(4)] IReadOnlyList<TagMetadata>? Tags = null,
    [property: Id(5)] IReadOnlyList<AlarmBand>? AlarmBands = null,
    [property: Id(6)] IReadOnlyList<string>? AuthorizedIssuers = null,
    [property: Id(7)] IReadOnlyList<string>? ControlLoops = null,
    [property: Id(8)] IReadOnlyList<string>? Methods = null,
    [property: Id(9)] bool RequireReadBack = false,
    [property: Id(10)] TimeSpan? ReadBackTimeout = null,
    [property: Id(11)] TimeSpan? DefaultCommandLifetime = null,
    [property: Id(12)] StatusMapping? Status = null,
    [property: Id(13)] IReadOnlyList<string>? TriggeredLoops = null,
    [property: Id(14)] IReadOnlyList<Plant.GatewayMethods>? DescribedMethods = null,
    [property: Id(15)] TimeSpan? StaleAfter = null,
    [property: Id(16)] StatusMapping? DescribedStatus = null,
    [property: Id(17)] IReadOnlyList<AlarmBand>? DescribedAlarmBands = null)
{
    /// <summary>The alarm bands in force: the configured ones, else the ones the gateway described.</summary>
    public IReadOnlyList<AlarmBand>? EffectiveAlarmBands => AlarmBands ?? DescribedAlarmBands;

    /// <summary>The staleness bound of tags when neither the tag nor the twin gives one: 60 s.</summary>
    public static readonly TimeSpan DefaultStaleAfter = TimeSpan.FromSeconds(60);

    /// <summary>The status mapping in force: the configured one, else the one the gateway described.</summary>
    public StatusMapping? EffectiveStatus => Status ?? DescribedStatus;

    /// <summary>The staleness bound of tags without one of their own (<see cref="TimeSpan.Zero"/>: never).</summary>
    public TimeSpan EffectiveStaleAfter => StaleAfter ?? DefaultStaleAfter;
}

/// <summary>Which tags of a twin give its run state and OEE inputs. Every tag is optional.</summary>
/// <param name="RunningTag">A boolean (or numeric, non-zero = true) tag: the machine is producing.</param>
/// <param name="FaultedTag">A boolean (or numeric) tag: the machine is stopped by a fault. A High-high or
/// Low-low alarm on any tag also counts as faulted.</param>
/// <param name="TotalCountTag">A counter of parts made.</param>
/// <param name="GoodCountTag">A counter of good parts made.</param>
/// <param name="IdealCycleTime">The ideal time for one part.</param>
[GenerateSerializer]
public sealed record StatusMapping(
    [property: Id(0)] string? RunningTag = null,
    [property: Id(1)] string? FaultedTag = null,
    [property: Id(2)] string? TotalCountTag = null,
    [property: Id(3)] string? GoodCountTag = null,
    [property: Id(4)] TimeSpan IdealCycleTime = default);
