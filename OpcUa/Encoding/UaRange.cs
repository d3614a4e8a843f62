namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>The Range structure (an AnalogItem's EURange).</summary>
/// <param name="Low">Lowest value.</param>
/// <param name="High">Highest value.</param>
public sealed record UaRange(double Low, double High);
