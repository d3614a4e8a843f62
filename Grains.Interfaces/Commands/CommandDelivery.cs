using Orleans;

namespace Imv.Grains.Interfaces.Commands;

/// <summary>What a gateway answers for a command it was given.</summary>
/// <param name="Status">Delivered, Applied or Rejected.</param>
/// <param name="Reason">Why it was rejected (a status code name, a reason string); null otherwise.</param>
/// <param name="Outputs">Output arguments of a method call; empty otherwise.</param>
[GenerateSerializer]
public sealed record CommandDelivery(
    [property: Id(0)] CommandDeliveryStatus Status,
    [property: Id(1)] string? Reason = null,
    [property: Id(2)] IReadOnlyList<Twins.TagValue>? Outputs = null)
{
    /// <summary>Delivered, no confirmation yet.</summary>
    public static CommandDelivery Delivered { get; } = new(CommandDeliveryStatus.Delivered);

    /// <summary>Already applied.</summary>
    public static CommandDelivery Applied { get; } = new(CommandDeliveryStatus.Applied);

    /// <summary>Rejected with a reason.</summary>
    public static CommandDelivery Rejected(string reason) => new(CommandDeliveryStatus.Rejected, reason);
}
