using Imv.Grains.Interfaces.Twins;
using Orleans;

namespace Imv.Grains.Interfaces.Commands;

/// <summary>A command as a gateway receives it, after every check of the twin passed: write
/// <see cref="Value"/> to <see cref="Tag"/>, or call <see cref="Method"/> with <see cref="Arguments"/>.</summary>
/// <param name="CommandId">Unique id; gateways use it to correlate acknowledgements.</param>
/// <param name="TwinId">The twin the command targets.</param>
/// <param name="Tag">The tag to write; null for a method call.</param>
/// <param name="Method">The method to call; null for a tag write.</param>
/// <param name="Value">The value to write (tag writes).</param>
/// <param name="Arguments">The method's input arguments (method calls); empty otherwise.</param>
/// <param name="ExpiresAt">After this instant the command must not reach the machine.</param>
[GenerateSerializer]
public sealed record DeviceCommand(
    [property: Id(0)] string CommandId,
    [property: Id(1)] string TwinId,
    [property: Id(2)] string? Tag,
    [property: Id(3)] string? Method,
    [property: Id(4)] TagValue Value,
    [property: Id(5)] IReadOnlyList<TagValue> Arguments,
    [property: Id(6)] DateTimeOffset ExpiresAt);
