namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>An OPC UA status code: the top two bits give the severity (Good, Uncertain, Bad), the
/// next 14 the code, the low 16 info bits. Shown by its symbolic name.</summary>
public readonly record struct StatusCode(uint Code)
{
    /// <summary>Good.</summary>
    public const uint Good = 0x00000000;
    /// <summary>The operation was uncertain.</summary>
    public const uint Uncertain = 0x40000000;
    /// <summary>An unexpected error.</summary>
    public const uint BadUnexpectedError = 0x80010000;
    /// <summary>An internal error.</summary>
    public const uint BadInternalError = 0x80020000;
    /// <summary>Encoding failed.</summary>
    public const uint BadEncodingError = 0x80060000;
    /// <summary>Decoding failed.</summary>
    public const uint BadDecodingError = 0x80070000;
    /// <summary>A message exceeded the limits.</summary>
    public const uint BadEncodingLimitsExceeded = 0x80080000;
    /// <summary>A response was too large.</summary>
    public const uint BadResponseTooLarge = 0x80B90000;
    /// <summary>An unknown response.</summary>
    public const uint BadUnknownResponse = 0x80090000;
    /// <summary>The operation timed out.</summary>
    public const uint BadTimeout = 0x800A0000;
    /// <summary>Not connected.</summary>
    public const uint BadNotConnected = 0x808A0000;
    /// <summary>The connection was closed.</summary>
    public const uint BadConnectionClosed = 0x80AE0000;
    /// <summary>The secure channel was closed.</summary>
    public const uint BadSecureChannelClosed = 0x80860000;
    /// <summary>The TCP message type is invalid.</summary>
    public const uint BadTcpMessageTypeInvalid = 0x807E0000;
    /// <summary>The TCP message is too large.</summary>
    public const uint BadTcpMessageTooLarge = 0x80800000;
    /// <summary>The session id is not valid.</summary>
    public const uint BadSessionIdInvalid = 0x80250000;
    /// <summary>The session was closed.</summary>
    public const uint BadSessionClosed = 0x80260000;
    /// <summary>The session is not activated.</summary>
    public const uint BadSessionNotActivated = 0x80270000;
    /// <summary>The subscription id is not valid.</summary>
    public const uint BadSubscriptionIdInvalid = 0x80280000;
    /// <summary>No subscription.</summary>
    public const uint BadNoSubscription = 0x80790000;
    /// <summary>Too many publish requests queued.</summary>
    public const uint BadTooManyPublishRequests = 0x80780000;
    /// <summary>The sequence number is unknown.</summary>
    public const uint BadSequenceNumberUnknown = 0x807A0000;
    /// <summary>The message is not available.</summary>
    public const uint BadMessageNotAvailable = 0x807B0000;
    /// <summary>An internal TCP error.</summary>
    public const uint BadTcpInternalError = 0x80820000;
    /// <summary>The request is too large.</summary>
    public const uint BadRequestTooLarge = 0x80B80000;
    /// <summary>The certificate is not valid.</summary>
    public const uint BadCertificateInvalid = 0x80120000;
    /// <summary>The user may not do this.</summary>
    public const uint BadUserAccessDenied = 0x801F0000;
    /// <summary>The identity token is not valid.</summary>
    public const uint BadIdentityTokenInvalid = 0x80200000;
    /// <summary>The identity token was rejected.</summary>
    public const uint BadIdentityTokenRejected = 0x80210000;
    /// <summary>The nonce is not valid.</summary>
    public const uint BadNonceInvalid = 0x80240000;
    /// <summary>The value is of the wrong type.</summary>
    public const uint BadTypeMismatch = 0x80740000;
    /// <summary>The request was cancelled.</summary>
    public const uint BadRequestCancelledByClient = 0x802C0000;
    /// <summary>The server is shutting down.</summary>
    public const uint BadShutdown = 0x800C0000;
    /// <summary>The server stopped communicating.</summary>
    public const uint BadServerNotConnected = 0x800D0000;
    /// <summary>The communication was interrupted.</summary>
    public const uint BadCommunicationError = 0x80050000;
    /// <summary>The node id is unknown.</summary>
    public const uint BadNodeIdUnknown = 0x80340000;
    /// <summary>The value was not written.</summary>
    public const uint BadNotWritable = 0x803B0000;
    /// <summary>The sequence number is invalid.</summary>
    public const uint BadSequenceNumberInvalid = 0x80880000;
    /// <summary>The security checks failed.</summary>
    public const uint BadSecurityChecksFailed = 0x80130000;

    /// <summary>The server does not accept the requested message security mode.</summary>
    public const uint BadSecurityModeRejected = 0x80540000;

    /// <summary>The user token signature is missing or invalid.</summary>
    public const uint BadUserSignatureInvalid = 0x80570000;
    /// <summary>The secure channel id is invalid.</summary>
    public const uint BadSecureChannelIdInvalid = 0x80220000;
    /// <summary>The token id is invalid.</summary>
    public const uint BadSecureChannelTokenUnknown = 0x80870000;
    /// <summary>The certificate is not trusted.</summary>
    public const uint BadCertificateUntrusted = 0x801A0000;
    /// <summary>The security policy is not supported or not offered.</summary>
    public const uint BadSecurityPolicyRejected = 0x80550000;
    /// <summary>An application signature (CreateSession, ActivateSession) is wrong.</summary>
    public const uint BadApplicationSignatureInvalid = 0x80580000;
    /// <summary>The configuration is wrong.</summary>
    public const uint BadConfigurationError = 0x80890000;

    /// <summary>Severity Good.</summary>
    public bool IsGood => (Code & 0xC0000000) == 0;
    /// <summary>Severity Uncertain.</summary>
    public bool IsUncertain => (Code & 0xC0000000) == 0x40000000;
    /// <summary>Severity Bad.</summary>
    public bool IsBad => (Code & 0x80000000) != 0;
    /// <summary>The symbolic name, e.g. BadNodeIdUnknown.</summary>
    public string Name => StatusCodeNames.GetName(Code);

    /// <summary>The symbolic name of a raw code.</summary>
    public static string NameOf(uint code) => StatusCodeNames.GetName(code);

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>Converts a raw code.</summary>
    public static implicit operator StatusCode(uint code) => new(code);
}
