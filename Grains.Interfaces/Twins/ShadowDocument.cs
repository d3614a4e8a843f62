using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>The device-shadow view of a twin: the state the plant reported, the state wanted of it, and
/// what differs. <see cref="Version"/> grows by one on every change of either side.</summary>
/// <param name="Reported">The latest value of every tag that has one.</param>
/// <param name="Desired">The values wanted, by tag.</param>
/// <param name="Delta">The desired entries whose tag reports a different value (or none).</param>
/// <param name="Version">The shadow's version.</param>
[GenerateSerializer]
public sealed record ShadowDocument(
    [property: Id(0)] IReadOnlyDictionary<string, TagValue> Reported,
    [property: Id(1)] IReadOnlyDictionary<string, TagValue> Desired,
    [property: Id(2)] IReadOnlyDictionary<string, TagValue> Delta,
    [property: Id(3)] long Version);

/// <summary>A change to the desired side of a shadow.</summary>
/// <param name="Desired">Values wanted by tag; <see cref="TagValue.None"/> removes a tag's desired entry.</param>
/// <param name="ExpectedVersion">When set, the change applies only if the shadow is at this version
/// (optimistic concurrency); otherwise it is refused with <see cref="ShadowUpdateResult.Conflict"/>.</param>
[GenerateSerializer]
public sealed record DesiredUpdate(
    [property: Id(0)] IReadOnlyDictionary<string, TagValue> Desired,
    [property: Id(1)] long? ExpectedVersion = null);

/// <summary>What became of a <see cref="DesiredUpdate"/>.</summary>
/// <param name="Conflict">True when refused because the shadow's version differed from the expected one.</param>
/// <param name="Shadow">The shadow after the change (or as it is, when refused).</param>
[GenerateSerializer]
public sealed record ShadowUpdateResult(
    [property: Id(0)] bool Conflict,
    [property: Id(1)] ShadowDocument Shadow);
