namespace Imv.Runtime.Placement;

/// <summary>An immutable snapshot of which silo owns each partition of the grain id space, with the fencing
/// epoch of each lease. Routing is an array look-up: no directory round trip.</summary>
public sealed class PartitionTable
{
    /// <summary>Creates a table.</summary>
    public PartitionTable(long version, string[] owners, long[] epochs)
    {
        Version = version;
        Owners = owners;
        Epochs = epochs;
    }

    /// <summary>Grows with every change.</summary>
    public long Version { get; }

    /// <summary>The owning silo's name per partition.</summary>
    public string[] Owners { get; }

    /// <summary>The lease epoch per partition; grows on every hand-over.</summary>
    public long[] Epochs { get; }

    /// <summary>How many lease hand-overs one generation may make per partition before its epochs would
    /// reach the next generation's.</summary>
    public const long EpochsPerGeneration = 1L << 24;

    /// <summary>The table of a new cluster incarnation: no owners yet, epochs at the generation's base.</summary>
    public static PartitionTable Initial(int partitionCount, long generation)
    {
        var epochs = new long[partitionCount];
        Array.Fill(epochs, generation * EpochsPerGeneration);
        return new PartitionTable(0, new string[partitionCount], epochs);
    }

    /// <summary>The partition of a grain id.</summary>
    public int PartitionOf(GrainId id) => (int)(id.StableHash() % (uint)Owners.Length);

    /// <summary>Assigns partitions to live silos by rendezvous hashing: when a silo joins or leaves, only
    /// the partitions it gains or loses move. Epochs grow for every partition whose owner changed.</summary>
    public static PartitionTable Assign(PartitionTable? previous, int partitionCount, IReadOnlyList<string> liveSilos)
    {
        var owners = new string[partitionCount];
        var epochs = new long[partitionCount];
        for (int p = 0; p < partitionCount; p++)
        {
            string? best = null;
            uint bestScore = 0;
            foreach (var silo in liveSilos)
            {
                uint score = Score(silo, p);
                if (best is null || score > bestScore || (score == bestScore && string.CompareOrdinal(silo, best) < 0))
                {
                    best = silo;
                    bestScore = score;
                }
            }
            owners[p] = best ?? "";
            long previousEpoch = previous?.Epochs[p] ?? 0;
            epochs[p] = previous is not null && previous.Owners[p] == owners[p] && owners[p].Length > 0 ? previousEpoch : previousEpoch + 1;
        }
        return new PartitionTable((previous?.Version ?? 0) + 1, owners, epochs);
    }

    private static uint Score(string silo, int partition)
    {
        uint hash = 2166136261;
        foreach (char c in silo) hash = (hash ^ c) * 16777619;
        hash = (hash ^ (uint)partition) * 16777619;
        hash ^= hash >> 15;
        hash *= 0x2c1b3c6d;
        hash ^= hash >> 12;
        return hash;
    }
}
