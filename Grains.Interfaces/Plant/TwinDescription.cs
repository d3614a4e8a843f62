using Imv.Grains.Interfaces.Twins;
using Orleans;

namespace Imv.Grains.Interfaces.Plant;

/// <summary>What a gateway learned about a device when it announced itself (a Sparkplug birth, an OPC UA
/// browse): the twin it maps to, the gateway connection that owns it, its tags and its methods.</summary>
/// <param name="TwinId">The twin's id (grain key).</param>
/// <param name="Gateway">The name of the gateway connection that reaches the device; commands go out through it.</param>
/// <param name="Tags">The device's tags with their metadata.</param>
/// <param name="Methods">The device's methods with their input arguments; null when the gateway knows of none
/// (Sparkplug B has no methods). A twin that stores them lets commands call them.</param>
/// <param name="Status">Which of the tags give the machine's run state and OEE counts (the gateway's <c>Status</c> mapping);
/// null when the gateway maps none. A status configured on the twin itself takes precedence.</param>
/// <param name="OrganizationId">The organization the twin reports its status to (the gateway's <c>Organization</c>
/// mapping); null keeps the twin's own.</param>
/// <param name="AlarmBands">Alarm limits of the twin's numeric tags (the gateway's <c>Alarms</c> mapping); null when none.
/// Bands configured on the twin itself take precedence.</param>
[GenerateSerializer]
public sealed record TwinDescription(
    [property: Id(0)] string TwinId,
    [property: Id(1)] string Gateway,
    [property: Id(2)] IReadOnlyList<TagMetadata> Tags,
    [property: Id(3)] IReadOnlyList<MethodMetadata>? Methods = null,
    [property: Id(4)] StatusMapping? Status = null,
    [property: Id(5)] string? OrganizationId = null,
    [property: Id(6)] IReadOnlyList<AlarmBand>? AlarmBands = null);
