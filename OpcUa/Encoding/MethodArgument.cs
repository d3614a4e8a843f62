namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>The Argument structure describing one input or output argument of a method.</summary>
/// <param name="Name">The argument's name.</param>
/// <param name="DataType">The data type's node id.</param>
/// <param name="ValueRank">-1 scalar, 1 array, ...</param>
/// <param name="ArrayDimensions">The array dimensions, if fixed.</param>
/// <param name="Description">A description.</param>
public sealed record MethodArgument(string? Name, NodeId DataType, int ValueRank, uint[] ArrayDimensions, LocalizedText Description);
