using Imv.Gateways.OpcUa.Encoding;
using Imv.Grains.Interfaces.Plant;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>A twin's method and the OPC UA method node that carries it out.</summary>
/// <param name="TwinId">The twin.</param>
/// <param name="Method">The method's name in the twin.</param>
/// <param name="ObjectId">The object that owns the method.</param>
/// <param name="MethodId">The method node.</param>
internal sealed record MethodBinding(string TwinId, string Method, NodeId ObjectId, NodeId MethodId)
{
    /// <summary>The method's input arguments, from its InputArguments property (empty when it has
    /// none); null when the server did not say, and then values go as they come.</summary>
    public MethodArgument[]? InputArguments { get; set; }

    /// <summary>The method's metadata for the twin description, with its input arguments.</summary>
    public MethodMetadata ToMetadata() => new(
        Method,
        InputArguments is { } arguments ? arguments.Select(MethodArgumentConversion.ToMetadata).ToArray() : [],
        ArgumentsKnown: InputArguments is not null,
        SourceAddress: $"{MethodId} on {ObjectId}");
}
