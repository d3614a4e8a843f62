using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>A method to call.</summary>
/// <param name="ObjectId">The object (or object type) that owns the method.</param>
/// <param name="MethodId">The method.</param>
/// <param name="InputArguments">The inputs.</param>
public sealed record CallMethodRequest(NodeId ObjectId, NodeId MethodId, IReadOnlyList<Variant> InputArguments);
