namespace Imv.Gateways.OpcUa.Transport;

/// <summary>SecurityPolicy None: no signature, no encryption.</summary>
public sealed class SecurityPolicyNone : IUaSecurityPolicy
{
    /// <summary>The policy URI.</summary>
    public const string PolicyUri = "http://opcfoundation.org/UA/SecurityPolicy#None";

    /// <summary>The one instance.</summary>
    public static SecurityPolicyNone Instance { get; } = new();

    /// <inheritdoc />
    public string Uri => PolicyUri;

    /// <inheritdoc />
    public MessageSecurityMode Mode => MessageSecurityMode.None;

    /// <inheritdoc />
    public byte[]? ClientCertificate => null;

    /// <inheritdoc />
    public byte[]? ServerCertificateThumbprint => null;

    /// <inheritdoc />
    public byte[] CreateClientNonce() => [];

    /// <inheritdoc />
    public void DeriveKeys(uint tokenId, byte[] clientNonce, byte[] serverNonce)
    {
        // Nothing to derive without cryptography.
    }

    /// <inheritdoc />
    public int MaxAsymmetricPayload(int chunkSize, int headerSize) => chunkSize - headerSize;

    /// <inheritdoc />
    public int SecureAsymmetricChunk(Span<byte> chunk, int length, int securedFrom) => length;

    /// <inheritdoc />
    public int UnsecureAsymmetricChunk(Span<byte> chunk, int securedFrom, ReadOnlySpan<byte> senderCertificate, ReadOnlySpan<byte> receiverThumbprint) => chunk.Length;

    /// <inheritdoc />
    public int MaxSymmetricPayload(int chunkSize, int headerSize) => chunkSize - headerSize;

    /// <inheritdoc />
    public int SecureSymmetricChunk(Span<byte> chunk, int length, int securedFrom, uint tokenId) => length;

    /// <inheritdoc />
    public int UnsecureSymmetricChunk(Span<byte> chunk, int securedFrom, uint tokenId) => chunk.Length;
}
