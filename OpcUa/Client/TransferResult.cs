namespace Imv.Gateways.OpcUa.Client;

/// <summary>The result of transferring one subscription.</summary>
/// <param name="StatusCode">The status.</param>
/// <param name="AvailableSequenceNumbers">Messages that can be republished.</param>
public sealed record TransferResult(uint StatusCode, uint[] AvailableSequenceNumbers);
