namespace Imv.Gateways.OpcUa.Client;

/// <summary>The result of browsing one node (one page of it).</summary>
/// <param name="StatusCode">The operation's status.</param>
/// <param name="ContinuationPoint">Non-null when more references remain (BrowseNext).</param>
/// <param name="References">The references of this page.</param>
public sealed record BrowseResult(uint StatusCode, byte[]? ContinuationPoint, ReferenceDescription[] References);
