using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>The result of translating one browse path.</summary>
/// <param name="StatusCode">The operation's status.</param>
/// <param name="Targets">The nodes found.</param>
public sealed record BrowsePathResult(uint StatusCode, ExpandedNodeId[] Targets);
