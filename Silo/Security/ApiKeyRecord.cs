namespace Imv.Silo.Security;

/// <summary>An API key as the grid keeps it: its id, the avatar it stands for and the SHA-256 of the key (never the key).</summary>
/// <param name="KeyId">The key's public id (the part after <c>imv_</c>; shown in lists and the audit log).</param>
/// <param name="AvatarId">The avatar every request made with the key acts as.</param>
/// <param name="Hash">Lower-case hex SHA-256 of the whole key text.</param>
/// <param name="Name">What the key is for (a script, a machine).</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="CreatedBy">The avatar that created it ("(first start)" for the first administrator key).</param>
/// <param name="RevokedAt">When it was revoked; null while valid.</param>
/// <param name="RevokedBy">The avatar that revoked it.</param>
[GenerateSerializer, Immutable]
public sealed record ApiKeyRecord(
    [property: Id(0)] string KeyId,
    [property: Id(1)] string AvatarId,
    [property: Id(2)] string Hash,
    [property: Id(3)] string Name,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] string CreatedBy,
    [property: Id(6)] DateTimeOffset? RevokedAt = null,
    [property: Id(7)] string? RevokedBy = null);

/// <summary>The persisted state of <see cref="ApiKeyRegistryGrain"/>.</summary>
[GenerateSerializer]
public sealed class ApiKeyRegistryState
{
    /// <summary>Every key ever created, revoked ones included (revocation keeps the record).</summary>
    [Id(0)] public List<ApiKeyRecord> Keys { get; set; } = [];
}
