namespace Imv.Persistence.Sqlite;

/// <summary>One grain state record in the write-behind journal: the full new state of one grain (or its
/// tombstone) with the version it was acknowledged with.</summary>
/// <param name="StateName">The state name.</param>
/// <param name="GrainId">The grain id in its string form (<c>GrainId.ToString()</c>).</param>
/// <param name="Data">The serialized state; null for a tombstone (a clear).</param>
/// <param name="ETag">The record's version after this write.</param>
internal readonly record struct StateJournalRecord(string StateName, string GrainId, byte[]? Data, long ETag);
