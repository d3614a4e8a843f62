using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Gateways.OpcUa.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Imv.Gateways.OpcUa.Client;

/// <summary>An OPC UA client session over one secure channel: GetEndpoints, CreateSession,
/// ActivateSession (anonymous or user name), CloseSession, and the attribute, view, method and
/// subscription services (in the other parts of this class). Reconnecting reactivates the same session
/// on a new channel and falls back to a new session when the server lost it.</summary>
public sealed partial class UaClient : IAsyncDisposable
{
    private const uint GetEndpointsRequestId = 428;
    private const uint GetEndpointsResponseId = 431;
    private const uint CreateSessionRequestId = 461;
    private const uint CreateSessionResponseId = 464;
    private const uint ActivateSessionRequestId = 467;
    private const uint ActivateSessionResponseId = 470;
    private const uint CloseSessionRequestId = 473;
    private const uint CloseSessionResponseId = 476;
    private const string RsaOaepUri = "http://www.w3.org/2001/04/xmlenc#rsa-oaep";

    private readonly ILogger _logger;
    private UaSecureChannel? _channel;
    private NodeId _authenticationToken;
    private byte[] _serverNonce = [];
    private byte[] _serverCertificate = [];
    private EndpointDescription[] _serverEndpoints = [];
    private int _requestHandle;
    private X509Certificate2? _clientCertificate;
    private SecurityPolicyBasic256Sha256? _policy;

    /// <summary>Creates a client; nothing is connected until <see cref="ConnectAsync"/>.</summary>
    public UaClient(UaClientOptions options, ILogger? logger = null)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The options.</summary>
    public UaClientOptions Options { get; }

    /// <summary>The current channel (null before connecting).</summary>
    public UaSecureChannel? Channel => _channel;

    /// <summary>The session id (null node id without a session).</summary>
    public NodeId SessionId { get; private set; }

    /// <summary>True while a channel is open and a session is active.</summary>
    public bool IsConnected => _channel is { IsOpen: true } && !_authenticationToken.IsNull;

    /// <summary>Opens a channel, creates and activates a session.</summary>
    /// <remarks>When the server refuses the configured security mode or policy
    /// (BadSecurityModeRejected, BadSecurityPolicyRejected), the exception names what the server offers,
    /// read with GetEndpoints over a None channel.</remarks>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            await OpenChannelAsync(cancellationToken).ConfigureAwait(false);
            await CreateAndActivateSessionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (UaServiceException ex) when (IsSecurityMismatch(ex))
        {
            throw await WithOfferedEndpointsAsync(ex, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsSecurityMismatch(UaServiceException ex) =>
        ex.Status is StatusCode.BadSecurityModeRejected or StatusCode.BadSecurityPolicyRejected
        && !ex.Message.Contains(" offers ", StringComparison.Ordinal);

    /// <summary>The endpoints the server offers, as "policy mode" pairs (e.g. <c>Basic256Sha256 SignAndEncrypt</c>),
    /// asked for with GetEndpoints over a None channel (which servers keep open for discovery).</summary>
    public async Task<IReadOnlyList<string>> GetOfferedSecurityAsync(CancellationToken cancellationToken)
    {
        var discovery = await UaSecureChannel.OpenAsync(Options.EndpointUrl, SecurityPolicyNone.Instance, Options.TransportLimits,
            Options.ChannelLifetime, Options.ConnectTimeout, _logger, cancellationToken).ConfigureAwait(false);
        await using (discovery.ConfigureAwait(false))
        {
            using var response = await InvokeOnAsync(discovery, NodeId.Null, GetEndpointsRequestId, GetEndpointsResponseId, Options.EndpointUrl,
                WriteGetEndpoints, cancellationToken).ConfigureAwait(false);
            return DescribeSecurity(DecodeEndpoints(response.Body));
        }
    }

    private static string[] DescribeSecurity(EndpointDescription[] endpoints) =>
        endpoints.Select(e => $"{e.SecurityPolicyUri?[(e.SecurityPolicyUri.LastIndexOf('#') + 1)..]} {(MessageSecurityMode)e.SecurityMode}").Distinct().ToArray();

    private async Task<UaServiceException> WithOfferedEndpointsAsync(UaServiceException ex, CancellationToken cancellationToken)
    {
        string offered;
        try
        {
            var endpoints = await GetOfferedSecurityAsync(cancellationToken).ConfigureAwait(false);
            offered = endpoints.Count == 0 ? "no endpoint" : string.Join(", ", endpoints);
        }
        catch (Exception discoveryError) when (discoveryError is UaServiceException or UaDecodingException or IOException or System.Net.Sockets.SocketException)
        {
            offered = "endpoints that could not be read (" + discoveryError.Message + ")";
        }
        var policy = ChannelPolicyUri[(ChannelPolicyUri.LastIndexOf('#') + 1)..];
        return new UaServiceException(ex.Status,
            $"{Options.EndpointUrl} refused SecurityMode {ChannelMode} with SecurityPolicy {policy} ({ex.Message}); the server offers {offered}", ex);
    }

    /// <summary>Opens a new channel after the old one was lost, then reactivates the existing session on
    /// it; when the server no longer knows the session, creates a new one. Returns true when the
    /// session is new (subscriptions must then be transferred or recreated).</summary>
    public async Task<bool> ReconnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await ReconnectCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (UaServiceException ex) when (IsSecurityMismatch(ex))
        {
            throw await WithOfferedEndpointsAsync(ex, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<bool> ReconnectCoreAsync(CancellationToken cancellationToken)
    {
        await OpenChannelAsync(cancellationToken).ConfigureAwait(false);
        if (!_authenticationToken.IsNull)
        {
            try
            {
                await ActivateSessionAsync(cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("Session {SessionId} reactivated on channel {ChannelId} to {Endpoint}",
                    SessionId, _channel!.ChannelId, Options.EndpointUrl);
                return false;
            }
            catch (UaServiceException ex) when (ex.Status is StatusCode.BadSessionIdInvalid or StatusCode.BadSessionClosed
                                                    or StatusCode.BadSessionNotActivated or StatusCode.BadIdentityTokenInvalid
                                                    or StatusCode.BadSecureChannelIdInvalid or StatusCode.BadNonceInvalid)
            {
                _logger.LogInformation("Session {SessionId} could not be reactivated ({Status}); creating a new one", SessionId, ex.StatusName);
            }
        }
        await CreateAndActivateSessionAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async Task OpenChannelAsync(CancellationToken cancellationToken)
    {
        await DropChannelAsync().ConfigureAwait(false);
        if (Options.Security is not { } security)
        {
            _channel = await UaSecureChannel.OpenAsync(Options.EndpointUrl, Options.SecurityPolicy, Options.TransportLimits,
                Options.ChannelLifetime, Options.ConnectTimeout, _logger, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!string.Equals(security.PolicyUri, SecurityPolicyBasic256Sha256.PolicyUri, StringComparison.Ordinal))
            throw new UaServiceException(StatusCode.BadSecurityPolicyRejected, $"Security policy '{security.PolicyUri}' is not implemented; use {SecurityPolicyBasic256Sha256.PolicyUri}");
        _clientCertificate ??= UaCertificateStore.LoadOrCreateClientCertificate(security, Options.ApplicationUri);
        // The server certificate comes from the endpoint description, asked for over a None channel.
        EndpointDescription[] endpoints;
        var discovery = await UaSecureChannel.OpenAsync(Options.EndpointUrl, SecurityPolicyNone.Instance, Options.TransportLimits,
            Options.ChannelLifetime, Options.ConnectTimeout, _logger, cancellationToken).ConfigureAwait(false);
        await using (discovery.ConfigureAwait(false))
        {
            using var response = await InvokeOnAsync(discovery, NodeId.Null, GetEndpointsRequestId, GetEndpointsResponseId, Options.EndpointUrl,
                WriteGetEndpoints, cancellationToken).ConfigureAwait(false);
            endpoints = DecodeEndpoints(response.Body);
        }
        var endpoint = endpoints.FirstOrDefault(e => e.SecurityPolicyUri == security.PolicyUri && e.SecurityMode == (int)security.Mode)
                       ?? throw new UaServiceException(StatusCode.BadSecurityPolicyRejected,
                           $"{Options.EndpointUrl} offers no endpoint with {security.PolicyUri} {security.Mode}; it offers "
                           + string.Join(", ", DescribeSecurity(endpoints)));
        UaCertificateStore.CheckServerCertificate(security, endpoint.ServerCertificate, Options.EndpointUrl);
        var policy = new SecurityPolicyBasic256Sha256(security.Mode, _clientCertificate, endpoint.ServerCertificate);
        try
        {
            _channel = await UaSecureChannel.OpenAsync(Options.EndpointUrl, policy, Options.TransportLimits,
                Options.ChannelLifetime, Options.ConnectTimeout, _logger, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            policy.Dispose();
            throw;
        }
        _policy = policy;
    }

    private static void WriteGetEndpoints(UaBinaryWriter w, string url)
    {
        w.WriteString(url);
        w.WriteInt32(-1); // locale ids
        w.WriteInt32(-1); // profile uris
    }

    private string ChannelPolicyUri => Options.Security?.PolicyUri ?? Options.SecurityPolicy.Uri;

    private MessageSecurityMode ChannelMode => Options.Security?.Mode ?? Options.SecurityPolicy.Mode;

    private async Task CreateAndActivateSessionAsync(CancellationToken cancellationToken)
    {
        _authenticationToken = NodeId.Null;
        SessionId = NodeId.Null;
        await CreateSessionAsync(cancellationToken).ConfigureAwait(false);
        await ActivateSessionAsync(cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Session {SessionId} active on {Endpoint} ({Identity})",
            SessionId, Options.EndpointUrl, Options.UserName is null ? "anonymous" : "user " + Options.UserName);
    }

    /// <summary>Sends a request of the session and returns the response after checking its type.</summary>
    internal async Task<UaResponse> InvokeAsync<TState>(uint requestTypeId, uint responseTypeId, TState state,
        Action<UaBinaryWriter, TState> encode, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var channel = _channel;
        if (channel is null || !channel.IsOpen)
            throw new UaServiceException(StatusCode.BadNotConnected, $"Not connected to {Options.EndpointUrl}");
        return await InvokeOnAsync(channel, _authenticationToken, requestTypeId, responseTypeId, state, encode, cancellationToken, timeout).ConfigureAwait(false);
    }

    private async Task<UaResponse> InvokeOnAsync<TState>(UaSecureChannel channel, NodeId authenticationToken, uint requestTypeId, uint responseTypeId,
        TState state, Action<UaBinaryWriter, TState> encode, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        var wait = timeout ?? Options.RequestTimeout;
        var handle = (uint)Interlocked.Increment(ref _requestHandle);
        var response = await channel.SendAsync(
            requestTypeId,
            (Token: authenticationToken, Handle: handle, Hint: (uint)wait.TotalMilliseconds, State: state, Encode: encode),
            static (w, s) =>
            {
                ResponseHeader.WriteRequestHeader(w, s.Token, s.Handle, s.Hint);
                s.Encode(w, s.State);
            },
            wait + TimeSpan.FromSeconds(1),
            cancellationToken,
            completeInline: requestTypeId is WriteRequestId or ReadRequestId or CallRequestId).ConfigureAwait(false);
        if (response.TypeId != responseTypeId)
        {
            response.Dispose();
            throw new UaServiceException(StatusCode.BadUnknownResponse, $"Request type {requestTypeId} was answered with type {response.TypeId}");
        }
        return response;
    }

    /// <summary>Reads the response header and throws when the service failed as a whole.</summary>
    internal static ResponseHeader ReadHeader(ref UaBinaryReader reader, string service)
    {
        var header = ResponseHeader.Read(ref reader);
        if (new StatusCode(header.ServiceResult).IsBad)
            throw new UaServiceException(header.ServiceResult, service + " failed");
        return header;
    }

    /// <summary>Asks the server for its endpoints (works without a session).</summary>
    public async Task<EndpointDescription[]> GetEndpointsAsync(CancellationToken cancellationToken)
    {
        using var response = await InvokeAsync(GetEndpointsRequestId, GetEndpointsResponseId, Options.EndpointUrl,
            WriteGetEndpoints, cancellationToken).ConfigureAwait(false);
        return DecodeEndpoints(response.Body);
    }

    internal static EndpointDescription[] DecodeEndpoints(ReadOnlySpan<byte> body)
    {
        var r = new UaBinaryReader(body);
        ReadHeader(ref r, "GetEndpoints");
        return r.ReadArray(ReadEndpoint);
    }

    private static EndpointDescription ReadEndpoint(ref UaBinaryReader r)
    {
        var url = r.ReadString();
        // ApplicationDescription of the server.
        r.ReadString();
        r.ReadString();
        r.ReadLocalizedText();
        r.ReadInt32();
        r.ReadString();
        r.ReadString();
        r.ReadStringArray();
        var certificate = r.ReadByteString() ?? [];
        var mode = r.ReadInt32();
        var policy = r.ReadString();
        var tokens = r.ReadArray(static (ref UaBinaryReader t) =>
        {
            var id = t.ReadString();
            var type = t.ReadInt32();
            t.ReadString();
            t.ReadString();
            return new UserTokenPolicy(id, type, t.ReadString());
        });
        r.ReadString(); // transport profile
        var level = r.ReadByte();
        return new EndpointDescription(url, certificate, mode, policy, tokens, level);
    }

    private async Task CreateSessionAsync(CancellationToken cancellationToken)
    {
        var clientNonce = RandomNumberGenerator.GetBytes(32);
        var clientCertificate = _policy is null ? null : _policy.ClientCertificate;
        using var response = await InvokeAsync(CreateSessionRequestId, CreateSessionResponseId, (Options, clientNonce, clientCertificate),
            static (w, s) =>
            {
                // ApplicationDescription of the client.
                w.WriteString(s.Options.ApplicationUri);
                w.WriteString("urn:imv");
                w.WriteLocalizedText(new LocalizedText(null, "Imv OPC UA gateway"));
                w.WriteInt32(1); // Client
                w.WriteString(null);
                w.WriteString(null);
                w.WriteInt32(-1);
                w.WriteString(null); // server uri
                w.WriteString(s.Options.EndpointUrl);
                w.WriteString(s.Options.SessionName);
                w.WriteByteString(s.clientNonce);
                w.WriteByteString(s.clientCertificate); // null with None
                w.WriteDouble(s.Options.SessionTimeout.TotalMilliseconds);
                w.WriteUInt32(s.Options.TransportLimits.MaxMessageSize);
            }, cancellationToken).ConfigureAwait(false);
        Decode(response.Body);

        void Decode(ReadOnlySpan<byte> body)
        {
            var r = new UaBinaryReader(body);
            ReadHeader(ref r, "CreateSession");
            SessionId = r.ReadNodeId();
            _authenticationToken = r.ReadNodeId();
            r.ReadDouble(); // revised timeout
            _serverNonce = r.ReadByteString() ?? [];
            _serverCertificate = r.ReadByteString() ?? [];
            _serverEndpoints = r.ReadArray(ReadEndpoint);
            r.ReadArray(static (ref UaBinaryReader c) =>
            {
                c.ReadByteString();
                return c.ReadByteString();
            }); // software certificates
            var algorithm = r.ReadString();
            var signature = r.ReadByteString();
            if (_policy is not null) VerifyServerSignature(clientNonce, algorithm, signature);
        }
    }

    /// <summary>Checks the CreateSession answer of a secured session: the server proves it holds the
    /// private key of its certificate by signing the client certificate followed by the client nonce
    /// (OPC 10000-4 §5.6.2).</summary>
    private void VerifyServerSignature(byte[] clientNonce, string? algorithm, byte[]? signature)
    {
        var policy = _policy!;
        if (_serverNonce.Length < SecurityPolicyBasic256Sha256.NonceLength)
            throw new UaServiceException(StatusCode.BadNonceInvalid, $"CreateSession on {Options.EndpointUrl} returned a server nonce of {_serverNonce.Length} bytes, at least {SecurityPolicyBasic256Sha256.NonceLength} needed");
        var channelThumbprint = policy.ServerCertificateThumbprint!;
        if (!SHA1.HashData(UaCertificates.FirstCertificate(_serverCertificate)).AsSpan().SequenceEqual(channelThumbprint))
            throw new UaServiceException(StatusCode.BadCertificateInvalid, $"CreateSession on {Options.EndpointUrl} returned a server certificate other than the secure channel's");
        if (algorithm != SecurityPolicyBasic256Sha256.AsymmetricSignatureUri)
            throw new UaServiceException(StatusCode.BadApplicationSignatureInvalid, $"CreateSession on {Options.EndpointUrl} signed with '{algorithm}', not {SecurityPolicyBasic256Sha256.AsymmetricSignatureUri}");
        byte[] signed = [.. policy.ClientCertificate!, .. clientNonce];
        if (signature is null || !policy.VerifyServerSignature(signed, signature))
            throw new UaServiceException(StatusCode.BadApplicationSignatureInvalid, $"The server signature of CreateSession on {Options.EndpointUrl} does not verify with its certificate");
    }

    private async Task ActivateSessionAsync(CancellationToken cancellationToken)
    {
        var token = BuildIdentityToken();
        // Secured: prove the client holds its private key by signing the server certificate followed by
        // the latest server nonce (OPC 10000-4 §5.6.3).
        var clientSignature = _policy?.SignWithClientKey([.. _serverCertificate, .. _serverNonce]);
        using var response = await InvokeAsync(ActivateSessionRequestId, ActivateSessionResponseId, (token, clientSignature),
            static (w, s) =>
            {
                w.WriteString(s.clientSignature is null ? null : SecurityPolicyBasic256Sha256.AsymmetricSignatureUri);
                w.WriteByteString(s.clientSignature);
                w.WriteInt32(-1); // software certificates
                w.WriteStringArray(["en"]);
                w.WriteExtensionObject(s.token);
                w.WriteString(null); // user token signature
                w.WriteByteString(null);
            }, cancellationToken).ConfigureAwait(false);
        var r = new UaBinaryReader(response.Body);
        ReadHeader(ref r, "ActivateSession");
        _serverNonce = r.ReadByteString() ?? _serverNonce;
    }

    private ExtensionObject BuildIdentityToken()
    {
        var endpoint = _serverEndpoints.FirstOrDefault(e => e.SecurityPolicyUri == ChannelPolicyUri && e.SecurityMode == (int)ChannelMode)
                       ?? _serverEndpoints.FirstOrDefault();
        var policies = endpoint?.UserIdentityTokens ?? [];
        using var w = new UaBinaryWriter(512);
        if (Options.UserName is null)
        {
            var anonymous = policies.FirstOrDefault(p => p.TokenType == 0)
                            ?? throw new UaServiceException(StatusCode.BadIdentityTokenRejected, $"{Options.EndpointUrl} does not accept anonymous users");
            w.WriteString(anonymous.PolicyId);
            return new ExtensionObject(new NodeId(KnownStructures.AnonymousIdentityTokenEncoding), 1, w.WrittenSpan.ToArray());
        }
        var userPolicies = policies.Where(p => p.TokenType == 1).ToArray();
        if (userPolicies.Length == 0)
            throw new UaServiceException(StatusCode.BadIdentityTokenRejected, $"{Options.EndpointUrl} does not accept user names");
        // A token policy without its own security policy takes the channel's. None takes the password as
        // it is; any other policy encrypts it with the server's certificate.
        var plain = userPolicies.FirstOrDefault(p => (string.IsNullOrEmpty(p.SecurityPolicyUri) ? ChannelPolicyUri : p.SecurityPolicyUri) == SecurityPolicyNone.PolicyUri);
        var password = System.Text.Encoding.UTF8.GetBytes(Options.Password ?? "");
        if (plain is not null)
        {
            WriteUserToken(w, plain.PolicyId, password, null);
        }
        else
        {
            var encrypted = userPolicies.FirstOrDefault(p => (string.IsNullOrEmpty(p.SecurityPolicyUri) ? ChannelPolicyUri : p.SecurityPolicyUri).EndsWith("#Basic256Sha256", StringComparison.Ordinal))
                            ?? userPolicies.FirstOrDefault(p => p.SecurityPolicyUri?.EndsWith("#Aes128_Sha256_RsaOaep", StringComparison.Ordinal) == true)
                            ?? userPolicies.FirstOrDefault(p => p.SecurityPolicyUri?.EndsWith("#Basic256", StringComparison.Ordinal) == true)
                            ?? userPolicies[0];
            WriteUserToken(w, encrypted.PolicyId, EncryptPassword(password, endpoint?.ServerCertificate), RsaOaepUri);
        }
        return new ExtensionObject(new NodeId(KnownStructures.UserNameIdentityTokenEncoding), 1, w.WrittenSpan.ToArray());

        void WriteUserToken(UaBinaryWriter writer, string? policyId, byte[] secret, string? algorithm)
        {
            writer.WriteString(policyId);
            writer.WriteString(Options.UserName);
            writer.WriteByteString(secret);
            writer.WriteString(algorithm);
        }
    }

    /// <summary>Encrypts a password for a UserNameIdentityToken: length-prefixed password followed by
    /// the server nonce, RSA-OAEP (SHA-1) with the server certificate's key (OPC 10000-4 §7.36.2.2).</summary>
    private byte[] EncryptPassword(byte[] password, byte[]? endpointCertificate)
    {
        var der = _serverCertificate.Length > 0 ? _serverCertificate : endpointCertificate ?? [];
        if (der.Length == 0)
            throw new UaServiceException(StatusCode.BadCertificateInvalid, $"{Options.EndpointUrl} sent no certificate to encrypt the password with");
        using var certificate = X509CertificateLoader.LoadCertificate(UaCertificates.FirstCertificate(der));
        using var rsa = certificate.GetRSAPublicKey()
                        ?? throw new UaServiceException(StatusCode.BadCertificateInvalid, "The server certificate has no RSA key");
        var plain = new byte[4 + password.Length + _serverNonce.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(plain, password.Length + _serverNonce.Length);
        password.CopyTo(plain, 4);
        _serverNonce.CopyTo(plain, 4 + password.Length);
        var block = rsa.KeySize / 8 - 42; // OAEP SHA-1 overhead
        using var output = new MemoryStream();
        for (var offset = 0; offset < plain.Length; offset += block)
        {
            var part = plain.AsSpan(offset, Math.Min(block, plain.Length - offset)).ToArray();
            output.Write(rsa.Encrypt(part, RSAEncryptionPadding.OaepSHA1));
        }
        return output.ToArray();
    }

    /// <summary>Closes the session (deleting its subscriptions) and the channel.</summary>
    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        if (IsConnected)
        {
            try
            {
                using var response = await InvokeAsync(CloseSessionRequestId, CloseSessionResponseId, true,
                    static (w, delete) => w.WriteBoolean(delete), cancellationToken, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            catch (UaServiceException ex)
            {
                _logger.LogDebug(ex, "CloseSession on {Endpoint} failed", Options.EndpointUrl);
            }
        }
        _authenticationToken = NodeId.Null;
        SessionId = NodeId.Null;
        await DropChannelAsync().ConfigureAwait(false);
    }

    /// <summary>Closes the channel without closing the session (the session may be reactivated later).</summary>
    public async Task DropChannelAsync()
    {
        var channel = Interlocked.Exchange(ref _channel, null);
        if (channel is not null) await channel.DisposeAsync().ConfigureAwait(false);
        Interlocked.Exchange(ref _policy, null)?.Dispose();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        await CloseAsync(timeout.Token).ConfigureAwait(false);
        _clientCertificate?.Dispose();
        _clientCertificate = null;
    }
}
