namespace Imv.Persistence.Sqlite;

/// <summary>Write-behind: a record acknowledged and not yet written to <c>grain_state</c>, with its key and data
/// (null: a tombstone). Never changed once created: a newer write replaces the object.</summary>
internal sealed class CachedRecord(string stateName, string grainId, byte[]? data, long etag)
{
    public string StateName { get; } = stateName;
    public string GrainId { get; } = grainId;
    public byte[]? Data { get; } = data;
    public long ETag { get; } = etag;
    public bool Tombstone => Data is null;
    public StoredVersion Version => new(true, Tombstone, ETag);
    public bool Is(string stateName, string grainId) => StateName == stateName && GrainId == grainId;
}
