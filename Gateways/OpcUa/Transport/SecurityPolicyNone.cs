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
    public void DeriveKeys(byte[] clientNonce, byte[] serverNonce)
    {
        // Nothing to derive without cryptography.
    }

    /// <inheritdoc />
    public int AsymmetricOverhead(int bodyLength) => 0;

    /// <inheritdoc />
    public int SecureAsymmetricChunk(Span<byte> chunk, int length, int securedFrom) => length;

    /// <inheritdoc />
    public int SymmetricOverhead(int bodyLength) => 0;

    /// <inheritdoc />
    public int SecureSymmetricChunk(Span<byte> chunk, int length, int securedFrom) => length;

    /// <inheritdoc />
    public int UnsecureSymmetricChunk(Span<byte> chunk, int securedFrom) => chunk.Length;
}
