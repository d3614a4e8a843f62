namespace Imv.Persistence.Sqlite;

/// <summary>A stored record as read: its serialized state (null for a tombstone left by a clear) and version.</summary>
/// <param name="Data">The serialized state, the caller's own copy; null for a tombstone.</param>
/// <param name="ETag">The record's version.</param>
internal sealed record StoredState(byte[]? Data, long ETag);
