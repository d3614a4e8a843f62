using System.Security.Cryptography;
using System.Text;

namespace Imv.Silo.Security;

/// <summary>The text of an API key: <c>imv_&lt;key id&gt;_&lt;secret&gt;</c>, 16 hex digits of id and 256 random bits
/// of secret (base64url). The grid keeps only its SHA-256: a key has enough entropy that a fast hash is safe.</summary>
public static class ApiKey
{
    /// <summary>Every key starts with this.</summary>
    public const string Prefix = "imv_";

    /// <summary>The longest text taken as a key (longer is refused without hashing).</summary>
    public const int MaxLength = 128;

    /// <summary>A new key and its id.</summary>
    public static (string KeyId, string Key) Create()
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return (keyId, Prefix + keyId + "_" + secret);
    }

    /// <summary>Whether <paramref name="text"/> has the shape of a key.</summary>
    public static bool LooksLikeKey(string? text) =>
        text is { Length: > 22 and <= MaxLength } && text.StartsWith(Prefix, StringComparison.Ordinal) && text[20] == '_';

    /// <summary>The lower-case hex SHA-256 of the key.</summary>
    public static string Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }
}
