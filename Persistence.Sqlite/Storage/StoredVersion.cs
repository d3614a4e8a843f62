namespace Imv.Persistence.Sqlite;

/// <summary>The version columns of a record: whether it exists, whether it is a tombstone, and its ETag.</summary>
internal readonly record struct StoredVersion(bool Exists, bool Tombstone, long ETag);
