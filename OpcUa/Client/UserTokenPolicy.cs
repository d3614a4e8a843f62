namespace Imv.Gateways.OpcUa.Client;

/// <summary>A user token policy of an endpoint.</summary>
/// <param name="PolicyId">The policy id to send back in the identity token.</param>
/// <param name="TokenType">0 anonymous, 1 user name, 2 certificate, 3 issued token.</param>
/// <param name="SecurityPolicyUri">The policy that protects the token; null means the channel's.</param>
public sealed record UserTokenPolicy(string? PolicyId, int TokenType, string? SecurityPolicyUri);
