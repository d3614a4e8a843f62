using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Transport;

/// <summary>SecurityPolicy Basic256Sha256 (OPC 10000-7) with Sign or SignAndEncrypt, for one channel.
/// OpenSecureChannel chunks are signed with RSA-PKCS#1 v1.5 SHA-256 by the sender's private key and
/// encrypted with RSA-OAEP (SHA-1) for the receiver's public key; the other chunks are signed with
/// HMAC-SHA256 and, with SignAndEncrypt, encrypted with AES-256-CBC, with keys derived by P_SHA256 from
/// the two nonces of each security token (OPC 10000-6 §6.7.5).</summary>
public sealed class SecurityPolicyBasic256Sha256 : IUaSecurityPolicy, IDisposable
{
    /// <summary>The policy URI.</summary>
    public const string PolicyUri = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";

    /// <summary>The URI of the asymmetric signature algorithm (CreateSession, ActivateSession).</summary>
    public const string AsymmetricSignatureUri = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

    /// <summary>Nonce length of the policy, in bytes.</summary>
    public const int NonceLength = 32;

    private const int SignatureLength = 32; // HMAC-SHA256
    private const int SigningKeyLength = 32;
    private const int EncryptingKeyLength = 32; // AES-256
    private const int BlockSize = 16; // AES block and IV
    private const int OaepSha1Overhead = 42;

    private readonly RSA _clientKey;
    private readonly RSA _serverKey;
    private readonly byte[] _serverCertificate;
    private readonly byte[] _clientThumbprint;
    private readonly object _keysLock = new();
    private TokenKeys[] _keys = [];

    /// <summary>Creates the policy for one channel.</summary>
    /// <param name="mode">Sign or SignAndEncrypt.</param>
    /// <param name="clientCertificate">The client's application instance certificate, with its RSA private key.</param>
    /// <param name="serverCertificate">The server's certificate (DER; the first of a chain is used).</param>
    public SecurityPolicyBasic256Sha256(MessageSecurityMode mode, X509Certificate2 clientCertificate, byte[] serverCertificate)
    {
        ArgumentNullException.ThrowIfNull(clientCertificate);
        ArgumentNullException.ThrowIfNull(serverCertificate);
        if (mode is not (MessageSecurityMode.Sign or MessageSecurityMode.SignAndEncrypt))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Basic256Sha256 runs with Sign or SignAndEncrypt.");
        Mode = mode;
        _clientKey = clientCertificate.GetRSAPrivateKey()
                     ?? throw new UaServiceException(StatusCode.BadCertificateInvalid, $"Client certificate '{clientCertificate.Subject}' has no RSA private key");
        _serverCertificate = UaCertificates.FirstCertificate(serverCertificate);
        using var server = X509CertificateLoader.LoadCertificate(_serverCertificate);
        _serverKey = server.GetRSAPublicKey()
                     ?? throw new UaServiceException(StatusCode.BadCertificateInvalid, $"Server certificate '{server.Subject}' has no RSA key");
        if (_serverKey.KeySize is < 2048 or > 4096)
            throw new UaServiceException(StatusCode.BadCertificateInvalid, $"Server certificate '{server.Subject}' has a {_serverKey.KeySize}-bit key; Basic256Sha256 needs 2048 to 4096 bits");
        ClientCertificate = clientCertificate.RawData;
        ServerCertificateThumbprint = SHA1.HashData(_serverCertificate);
        _clientThumbprint = SHA1.HashData(ClientCertificate);
    }

    /// <inheritdoc />
    public string Uri => PolicyUri;

    /// <inheritdoc />
    public MessageSecurityMode Mode { get; }

    /// <inheritdoc />
    public byte[]? ClientCertificate { get; }

    /// <inheritdoc />
    public byte[]? ServerCertificateThumbprint { get; }

    private bool Encrypts => Mode == MessageSecurityMode.SignAndEncrypt;

    /// <inheritdoc />
    public byte[] CreateClientNonce() => RandomNumberGenerator.GetBytes(NonceLength);

    /// <inheritdoc />
    public void DeriveKeys(uint tokenId, byte[] clientNonce, byte[] serverNonce)
    {
        ArgumentNullException.ThrowIfNull(clientNonce);
        ArgumentNullException.ThrowIfNull(serverNonce);
        if (serverNonce.Length != NonceLength)
            throw new UaServiceException(StatusCode.BadNonceInvalid, $"The server nonce of token {tokenId} has {serverNonce.Length} bytes, Basic256Sha256 needs {NonceLength}");
        // The keys a side uses to secure what it sends come from the other side's nonce as the secret
        // and its own nonce as the seed.
        var client = PSha256(serverNonce, clientNonce, SigningKeyLength + EncryptingKeyLength + BlockSize);
        var server = PSha256(clientNonce, serverNonce, SigningKeyLength + EncryptingKeyLength + BlockSize);
        var keys = new TokenKeys(tokenId, KeySet.From(client), KeySet.From(server));
        lock (_keysLock)
        {
            // The current token and the one before it: messages secured with the old token may still
            // arrive until the server sees the new one in use.
            var kept = _keys.Where(k => k.TokenId != tokenId).TakeLast(1).ToList();
            foreach (var dropped in _keys.Where(k => k.TokenId != tokenId).SkipLast(1)) dropped.Dispose();
            kept.Add(keys);
            _keys = [.. kept];
        }
    }

    /// <summary>P_SHA256 (RFC 5246 §5): HMAC-SHA256 expansion of <paramref name="secret"/> over
    /// <paramref name="seed"/> to <paramref name="length"/> bytes.</summary>
    public static byte[] PSha256(byte[] secret, byte[] seed, int length)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(seed);
        var output = new byte[length];
        var a = HMACSHA256.HashData(secret, seed); // A(1)
        var input = new byte[a.Length + seed.Length];
        var at = 0;
        while (at < length)
        {
            a.CopyTo(input, 0);
            seed.CopyTo(input, a.Length);
            var block = HMACSHA256.HashData(secret, input);
            var take = Math.Min(block.Length, length - at);
            block.AsSpan(0, take).CopyTo(output.AsSpan(at));
            at += take;
            a = HMACSHA256.HashData(secret, a);
        }
        return output;
    }

    private TokenKeys KeysOf(uint tokenId)
    {
        var keys = Volatile.Read(ref _keys);
        foreach (var k in keys)
            if (k.TokenId == tokenId) return k;
        throw new UaServiceException(StatusCode.BadSecureChannelTokenUnknown, $"No keys for security token {tokenId}");
    }

    /// <summary>The client signing key of a token, or null when the token has no keys (for tests: every
    /// renewal must derive new keys).</summary>
    internal byte[]? ClientSigningKeyOf(uint tokenId)
    {
        foreach (var k in Volatile.Read(ref _keys))
            if (k.TokenId == tokenId) return k.Client.SigningKey.ToArray();
        return null;
    }

    // ---- asymmetric (OpenSecureChannel) ----

    /// <inheritdoc />
    public int MaxAsymmetricPayload(int chunkSize, int headerSize)
    {
        var cipherBlock = _serverKey.KeySize / 8;
        var plainBlock = cipherBlock - OaepSha1Overhead;
        var blocks = (chunkSize - headerSize) / cipherBlock;
        return blocks * plainBlock - _clientKey.KeySize / 8 - 1 - (cipherBlock > 256 ? 1 : 0);
    }

    /// <inheritdoc />
    public int SecureAsymmetricChunk(Span<byte> chunk, int length, int securedFrom)
    {
        var cipherBlock = _serverKey.KeySize / 8;
        var plainBlock = cipherBlock - OaepSha1Overhead;
        var signatureLength = _clientKey.KeySize / 8;
        var extra = cipherBlock > 256 ? 1 : 0;
        var payload = length - securedFrom;
        var padding = (plainBlock - (payload + 1 + extra + signatureLength) % plainBlock) % plainBlock;
        var at = length;
        chunk.Slice(at, padding + 1).Fill((byte)padding);
        at += padding + 1;
        if (extra == 1) chunk[at++] = (byte)(padding >> 8);
        var plainLength = at + signatureLength - securedFrom;
        var total = securedFrom + plainLength / plainBlock * cipherBlock;
        if (total > chunk.Length)
            throw new UaServiceException(StatusCode.BadRequestTooLarge, $"OpenSecureChannel chunk of {total} bytes does not fit the {chunk.Length}-byte buffer");
        BinaryPrimitives.WriteUInt32LittleEndian(chunk[4..], (uint)total);
        if (!_clientKey.TrySignData(chunk[..at], chunk.Slice(at, signatureLength), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1, out var written) || written != signatureLength)
            throw new CryptographicException("RSA signature did not fit its slot");
        var plain = chunk.Slice(securedFrom, plainLength).ToArray();
        var output = chunk[securedFrom..];
        for (var i = 0; i < plain.Length / plainBlock; i++)
        {
            if (!_serverKey.TryEncrypt(plain.AsSpan(i * plainBlock, plainBlock), output.Slice(i * cipherBlock, cipherBlock), RSAEncryptionPadding.OaepSHA1, out var n) || n != cipherBlock)
                throw new CryptographicException("RSA-OAEP block did not fit its slot");
        }
        CryptographicOperations.ZeroMemory(plain);
        return total;
    }

    /// <inheritdoc />
    public int UnsecureAsymmetricChunk(Span<byte> chunk, int securedFrom, ReadOnlySpan<byte> senderCertificate, ReadOnlySpan<byte> receiverThumbprint)
    {
        var sender = UaCertificates.FirstCertificate(senderCertificate.ToArray());
        if (!sender.AsSpan().SequenceEqual(_serverCertificate))
            throw new UaServiceException(StatusCode.BadCertificateInvalid,
                $"OpenSecureChannel response is signed by a certificate with thumbprint {Convert.ToHexString(SHA1.HashData(sender))}, not the server's {Convert.ToHexString(ServerCertificateThumbprint!)}");
        if (!receiverThumbprint.SequenceEqual(_clientThumbprint))
            throw new UaServiceException(StatusCode.BadCertificateInvalid,
                $"OpenSecureChannel response is encrypted for certificate {Convert.ToHexString(receiverThumbprint)}, not this client's {Convert.ToHexString(_clientThumbprint)}");
        var cipherBlock = _clientKey.KeySize / 8;
        var plainBlock = cipherBlock - OaepSha1Overhead;
        var signatureLength = _serverKey.KeySize / 8;
        var cipherLength = chunk.Length - securedFrom;
        if (cipherLength <= 0 || cipherLength % cipherBlock != 0)
            throw new UaServiceException(StatusCode.BadSecurityChecksFailed, $"Encrypted part of the OpenSecureChannel response is {cipherLength} bytes, not a multiple of {cipherBlock}");
        var plain = ArrayPool<byte>.Shared.Rent(cipherLength);
        try
        {
            var plainLength = 0;
            for (var i = 0; i < cipherLength / cipherBlock; i++)
            {
                if (!_clientKey.TryDecrypt(chunk.Slice(securedFrom + i * cipherBlock, cipherBlock), plain.AsSpan(plainLength), RSAEncryptionPadding.OaepSHA1, out var n) || n != plainBlock)
                    throw new UaServiceException(StatusCode.BadSecurityChecksFailed, $"Block {i} of the OpenSecureChannel response does not decrypt to {plainBlock} bytes");
                plainLength += n;
            }
            plain.AsSpan(0, plainLength).CopyTo(chunk[securedFrom..]);
        }
        catch (CryptographicException ex)
        {
            throw new UaServiceException(StatusCode.BadSecurityChecksFailed, "The OpenSecureChannel response does not decrypt with this client's key", ex);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plain);
            ArrayPool<byte>.Shared.Return(plain);
        }
        var end = securedFrom + cipherLength / cipherBlock * plainBlock;
        var signedEnd = end - signatureLength;
        if (signedEnd <= securedFrom)
            throw new UaServiceException(StatusCode.BadSecurityChecksFailed, "The OpenSecureChannel response is too short for its signature");
        if (!_serverKey.VerifyData(chunk[..signedEnd], chunk.Slice(signedEnd, signatureLength), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            throw new UaServiceException(StatusCode.BadSecurityChecksFailed, "The signature of the OpenSecureChannel response is wrong");
        return RemovePadding(chunk, securedFrom, signedEnd, cipherBlock > 256, "OpenSecureChannel response");
    }

    private static int RemovePadding(Span<byte> chunk, int securedFrom, int paddingEnd, bool extraByte, string what)
    {
        int padding;
        int area;
        if (extraByte)
        {
            if (paddingEnd - 2 < securedFrom) throw BadPadding(what);
            padding = chunk[paddingEnd - 1] << 8 | chunk[paddingEnd - 2];
            area = padding + 2;
        }
        else
        {
            if (paddingEnd - 1 < securedFrom) throw BadPadding(what);
            padding = chunk[paddingEnd - 1];
            area = padding + 1;
        }
        var start = paddingEnd - area;
        if (start < securedFrom + 8) throw BadPadding(what);
        var low = (byte)padding;
        foreach (var b in chunk.Slice(start, padding + 1))
            if (b != low) throw BadPadding(what);
        return start;
    }

    private static UaServiceException BadPadding(string what) =>
        new(StatusCode.BadSecurityChecksFailed, $"The padding of the {what} is malformed");

    // ---- symmetric ----

    /// <inheritdoc />
    public int MaxSymmetricPayload(int chunkSize, int headerSize) =>
        Encrypts
            ? (chunkSize - headerSize) / BlockSize * BlockSize - SignatureLength - 1
            : chunkSize - headerSize - SignatureLength;

    /// <inheritdoc />
    public int SecureSymmetricChunk(Span<byte> chunk, int length, int securedFrom, uint tokenId)
    {
        var keys = KeysOf(tokenId).Client;
        var at = length;
        if (Encrypts)
        {
            var padding = (BlockSize - (length - securedFrom + 1 + SignatureLength) % BlockSize) % BlockSize;
            chunk.Slice(at, padding + 1).Fill((byte)padding);
            at += padding + 1;
        }
        var total = at + SignatureLength;
        if (total > chunk.Length)
            throw new UaServiceException(StatusCode.BadRequestTooLarge, $"Chunk of {total} bytes does not fit the {chunk.Length}-byte buffer");
        BinaryPrimitives.WriteUInt32LittleEndian(chunk[4..], (uint)total);
        HMACSHA256.HashData(keys.SigningKey, chunk[..at], chunk.Slice(at, SignatureLength));
        if (Encrypts)
        {
            // In place: the one-shot CBC methods accept a destination that is exactly the source.
            var secured = chunk[securedFrom..total];
            keys.Aes.EncryptCbc(secured, keys.Iv, secured, PaddingMode.None);
        }
        return total;
    }

    /// <inheritdoc />
    public int UnsecureSymmetricChunk(Span<byte> chunk, int securedFrom, uint tokenId)
    {
        var keys = KeysOf(tokenId).Server;
        var length = chunk.Length;
        if (length - securedFrom < 8 + SignatureLength)
            throw new UaServiceException(StatusCode.BadSecurityChecksFailed, $"Secured chunk of {length} bytes is too short for its sequence header and signature");
        if (Encrypts)
        {
            var secured = chunk[securedFrom..];
            if (secured.Length % BlockSize != 0)
                throw new UaServiceException(StatusCode.BadSecurityChecksFailed, $"Encrypted part of the chunk is {secured.Length} bytes, not a multiple of {BlockSize}");
            keys.Aes.DecryptCbc(secured, keys.Iv, secured, PaddingMode.None);
        }
        var signedEnd = length - SignatureLength;
        Span<byte> expected = stackalloc byte[SignatureLength];
        HMACSHA256.HashData(keys.SigningKey, chunk[..signedEnd], expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, chunk[signedEnd..]))
            throw new UaServiceException(StatusCode.BadSecurityChecksFailed, $"The signature of a chunk on security token {tokenId} is wrong");
        return Encrypts ? RemovePadding(chunk, securedFrom, signedEnd, extraByte: false, "chunk") : signedEnd;
    }

    /// <summary>Signs data with the client's private key (RSA-PKCS#1 v1.5 SHA-256), as for the
    /// ActivateSession client signature.</summary>
    public byte[] SignWithClientKey(ReadOnlySpan<byte> data) =>
        _clientKey.SignData(data.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    /// <summary>Verifies a signature of the server's private key (RSA-PKCS#1 v1.5 SHA-256), as for the
    /// CreateSession server signature.</summary>
    public bool VerifyServerSignature(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        _serverKey.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_keysLock)
        {
            foreach (var k in _keys) k.Dispose();
            _keys = [];
        }
        _clientKey.Dispose();
        _serverKey.Dispose();
    }

    private sealed record TokenKeys(uint TokenId, KeySet Client, KeySet Server) : IDisposable
    {
        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }

    private sealed class KeySet : IDisposable
    {
        private KeySet(byte[] signingKey, Aes aes, byte[] iv)
        {
            SigningKey = signingKey;
            Aes = aes;
            Iv = iv;
        }

        public byte[] SigningKey { get; }
        public Aes Aes { get; }
        public byte[] Iv { get; }

        public static KeySet From(byte[] material)
        {
            var aes = System.Security.Cryptography.Aes.Create();
            aes.Key = material.AsSpan(SigningKeyLength, EncryptingKeyLength).ToArray();
            return new KeySet(material[..SigningKeyLength], aes, material.AsSpan(SigningKeyLength + EncryptingKeyLength, BlockSize).ToArray());
        }

        public void Dispose() => Aes.Dispose();
    }
}
