namespace Imv.Gateways.OpcUa.Client;

/// <summary>A data change filter: trigger and deadband.</summary>
/// <param name="Trigger">0 status, 1 status and value, 2 status, value and timestamp.</param>
/// <param name="DeadbandType">0 none, 1 absolute, 2 percent of the EURange.</param>
/// <param name="DeadbandValue">The deadband.</param>
public sealed record DataChangeFilter(int Trigger, uint DeadbandType, double DeadbandValue);
