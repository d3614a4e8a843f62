
namespace Imv.Silo.Directory;

/// <summary>The persisted state of a command directory shard: command id to twin id, oldest first.</summary>
[GenerateSerializer]
public sealed class CommandDirectoryState
{
    /// <summary>Command ids in the order they were recorded (for eviction).</summary>
    [Id(0)] public List<string> Order { get; set; } = [];

    /// <summary>Command id to twin id.</summary>
    [Id(1)] public Dictionary<string, string> Twins { get; set; } = new(StringComparer.Ordinal);
}
