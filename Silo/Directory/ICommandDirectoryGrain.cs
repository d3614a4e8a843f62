using Orleans.Concurrency;

namespace Imv.Silo.Directory;

/// <summary>One shard of the silo's command directory: which twin a command id was submitted to, so that
/// <c>GET /api/commands/{id}</c> finds the twin that holds the command's record. Shard key:
/// <see cref="CommandDirectory.ShardKey(string)"/>. Entries are stored before the call returns.</summary>
[SiloOnly]
public interface ICommandDirectoryGrain : IGrainWithStringKey
{
    /// <summary>Records that <paramref name="commandId"/> targets <paramref name="twinId"/>. The first record
    /// of an id wins; returns the twin id recorded for it.</summary>
    Task<string> RecordAsync(string commandId, string twinId);

    /// <summary>The twin a command was submitted to; null when unknown.</summary>
    [ReadOnly]
    Task<string?> FindAsync(string commandId);
}
