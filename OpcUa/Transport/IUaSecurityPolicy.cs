namespace Imv.Gateways.OpcUa.Transport;

/// <summary>The cryptography of a secure channel (OPC 10000-6 §6.7). The channel builds every chunk
/// through this seam: the policy says how much of a chunk is left for the sequence header and the body
/// once padding, signature and encryption are accounted for, then signs and encrypts the chunk in place,
/// and verifies and decrypts on the way in. One instance serves one channel: it holds the symmetric keys
/// of the channel's current and previous security tokens.</summary>
public interface IUaSecurityPolicy
{
    /// <summary>The policy URI sent in OpenSecureChannel.</summary>
    string Uri { get; }

    /// <summary>The message security mode.</summary>
    MessageSecurityMode Mode { get; }

    /// <summary>The client certificate (DER) sent in the asymmetric header; null for None.</summary>
    byte[]? ClientCertificate { get; }

    /// <summary>The SHA-1 thumbprint of the server certificate; null for None.</summary>
    byte[]? ServerCertificateThumbprint { get; }

    /// <summary>The client nonce for OpenSecureChannel (empty for None).</summary>
    byte[] CreateClientNonce();

    /// <summary>Derives the symmetric keys of security token <paramref name="tokenId"/> from both nonces
    /// after OpenSecureChannel (first open and every renewal). Throws <see cref="UaServiceException"/>
    /// (BadNonceInvalid) when the server nonce does not fit the policy.</summary>
    void DeriveKeys(uint tokenId, byte[] clientNonce, byte[] serverNonce);

    /// <summary>How many bytes of sequence header and body fit an OpenSecureChannel chunk of
    /// <paramref name="chunkSize"/> bytes whose headers take <paramref name="headerSize"/> bytes.</summary>
    int MaxAsymmetricPayload(int chunkSize, int headerSize);

    /// <summary>Signs (client private key) and encrypts (server public key) an OpenSecureChannel chunk in
    /// place, writing its final size into the message header first; <paramref name="length"/> is the
    /// length of headers and body, <paramref name="securedFrom"/> where the sequence header starts.
    /// Returns the chunk's final length.</summary>
    int SecureAsymmetricChunk(Span<byte> chunk, int length, int securedFrom);

    /// <summary>Decrypts (client private key) and verifies (server public key) a received
    /// OpenSecureChannel chunk in place; returns where its body ends (padding and signature removed).
    /// Throws <see cref="UaServiceException"/> naming what was wrong.</summary>
    int UnsecureAsymmetricChunk(Span<byte> chunk, int securedFrom, ReadOnlySpan<byte> senderCertificate, ReadOnlySpan<byte> receiverThumbprint);

    /// <summary>How many bytes of sequence header and body fit a symmetric chunk of
    /// <paramref name="chunkSize"/> bytes whose headers take <paramref name="headerSize"/> bytes.</summary>
    int MaxSymmetricPayload(int chunkSize, int headerSize);

    /// <summary>Signs and encrypts a symmetric chunk in place with the keys of <paramref name="tokenId"/>,
    /// writing its final size into the message header first; <paramref name="securedFrom"/> is where the
    /// encrypted part starts. Returns the chunk's final length.</summary>
    int SecureSymmetricChunk(Span<byte> chunk, int length, int securedFrom, uint tokenId);

    /// <summary>Verifies and decrypts a received symmetric chunk in place with the keys of
    /// <paramref name="tokenId"/>; returns where its body ends (padding and signature removed). Throws
    /// <see cref="UaServiceException"/> (BadSecurityChecksFailed) when the signature or padding is wrong.</summary>
    int UnsecureSymmetricChunk(Span<byte> chunk, int securedFrom, uint tokenId);
}
