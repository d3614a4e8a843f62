namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>An engineering unit (UNECE code and display name).</summary>
/// <param name="NamespaceUri">The unit system's URI.</param>
/// <param name="UnitId">The unit's code.</param>
/// <param name="DisplayName">The unit's symbol, e.g. °C.</param>
/// <param name="Description">The unit's full name.</param>
public sealed record EUInformation(string? NamespaceUri, int UnitId, LocalizedText DisplayName, LocalizedText Description);
