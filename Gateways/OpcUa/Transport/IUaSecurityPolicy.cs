namespace Imv.Gateways.OpcUa.Transport;

/// <summary>The cryptography of a secure channel. The channel builds every chunk through this seam so
/// that Basic256Sha256 (Sign, SignAndEncrypt with X.509 certificates) can be added without touching
/// the chunking: the policy says how much room a chunk needs for padding and signature, then signs and
/// encrypts the chunk in place, and verifies and decrypts on the way in.</summary>
public interface IUaSecurityPolicy
{
    /// <summary>The policy URI sent in OpenSecureChannel.</summary>
    string Uri { get; }

    /// <summary>The message security mode.</summary>
    MessageSecurityMode Mode { get; }

    /// <summary>The client certificate (DER) sent in the asymmetric header; null for None.</summary>
    byte[]? ClientCertificate { get; }

    /// <summary>The thumbprint of the server certificate; null for None.</summary>
    byte[]? ServerCertificateThumbprint { get; }

    /// <summary>The client nonce for OpenSecureChannel (empty for None).</summary>
    byte[] CreateClientNonce();

    /// <summary>Derives the symmetric keys from both nonces after OpenSecureChannel.</summary>
    void DeriveKeys(byte[] clientNonce, byte[] serverNonce);

    /// <summary>Bytes an OpenSecureChannel chunk needs beyond its body (RSA padding and signature).</summary>
    int AsymmetricOverhead(int bodyLength);

    /// <summary>Signs (client private key) and encrypts (server public key) an OpenSecureChannel chunk in
    /// place; returns the chunk's final length.</summary>
    int SecureAsymmetricChunk(Span<byte> chunk, int length, int securedFrom);

    /// <summary>Bytes a symmetric chunk needs beyond its body for padding and signature.</summary>
    int SymmetricOverhead(int bodyLength);

    /// <summary>Signs and encrypts a symmetric chunk in place; <paramref name="securedFrom"/> is where
    /// the encrypted part starts. Returns the chunk's final length.</summary>
    int SecureSymmetricChunk(Span<byte> chunk, int length, int securedFrom);

    /// <summary>Verifies and decrypts a received symmetric chunk in place; returns the length of the
    /// plaintext (without padding and signature). Throws when the signature is wrong.</summary>
    int UnsecureSymmetricChunk(Span<byte> chunk, int securedFrom);
}
