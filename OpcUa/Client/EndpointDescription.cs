namespace Imv.Gateways.OpcUa.Client;

/// <summary>An endpoint of a server.</summary>
/// <param name="EndpointUrl">Its URL.</param>
/// <param name="ServerCertificate">The server's certificate (DER), may be empty.</param>
/// <param name="SecurityMode">1 None, 2 Sign, 3 SignAndEncrypt.</param>
/// <param name="SecurityPolicyUri">The security policy.</param>
/// <param name="UserIdentityTokens">The accepted user tokens.</param>
/// <param name="SecurityLevel">Relative security.</param>
public sealed record EndpointDescription(string? EndpointUrl, byte[] ServerCertificate, int SecurityMode, string? SecurityPolicyUri,
    UserTokenPolicy[] UserIdentityTokens, byte SecurityLevel);
