namespace Imv.Persistence.Sqlite;

/// <summary>Write-behind: the newest version of a record; dirty ones also carry the acknowledged data (null: a
/// tombstone) that a checkpoint has yet to write. Never changed once created: a write or checkpoint replaces the object.</summary>
internal sealed class CachedRecord(byte[]? data, long etag, bool dirty, bool tombstone = false)
{
    public byte[]? Data { get; } = data;
    public long ETag { get; } = etag;
    public bool Dirty { get; } = dirty;
    public bool Tombstone { get; } = dirty ? data is null : tombstone;
    public StoredVersion Version => new(true, Tombstone, ETag);

    public CachedRecord Cleaned() => new(null, ETag, dirty: false, Tombstone);
}
