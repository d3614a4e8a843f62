using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>The result of a method call.</summary>
/// <param name="StatusCode">The call's status.</param>
/// <param name="InputArgumentResults">Per-input status (empty when all were good).</param>
/// <param name="OutputArguments">The outputs.</param>
public sealed record CallMethodResult(uint StatusCode, uint[] InputArgumentResults, Variant[] OutputArguments);
