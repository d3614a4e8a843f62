namespace Imv.Persistence.Sqlite;

/// <summary>The key of a grain state record: state name and grain id (string form).</summary>
internal readonly record struct StateKey(string StateName, string GrainId);
