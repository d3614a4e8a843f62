namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>The resolved mapping of an endpoint: tags (indexed by client handle) and methods.</summary>
/// <param name="Tags">The monitored tags; the index is the client handle.</param>
/// <param name="Methods">The methods.</param>
internal sealed record OpcUaMapping(IReadOnlyList<TagBinding> Tags, IReadOnlyList<MethodBinding> Methods);
