
namespace Imv.Silo.Directory;

/// <summary>Reaches the shard of the command directory that holds a command id.</summary>
public static class CommandDirectory
{
    /// <summary>Number of shards. Fixed: changing it moves entries between shards.</summary>
    public const int ShardCount = 16;

    /// <summary>Most entries kept per shard; the oldest are forgotten first (twins keep a bounded command
    /// history too, so an entry much older than that would find no record anyway).</summary>
    public const int MaxEntriesPerShard = 20_000;

    /// <summary>The grain key of the shard holding <paramref name="commandId"/>.</summary>
    public static string ShardKey(string commandId)
    {
        ArgumentNullException.ThrowIfNull(commandId);
        uint hash = 2166136261;
        foreach (char c in commandId) hash = (hash ^ c) * 16777619;
        return "commands-" + (hash % ShardCount).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The shard grain holding <paramref name="commandId"/>.</summary>
    public static ICommandDirectoryGrain For(IGrainFactory grains, string commandId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        return grains.GetGrain<ICommandDirectoryGrain>(ShardKey(commandId));
    }
}
