namespace Imv.Runtime.Placement;

/// <summary>The cluster's live silos and the partition table derived from them. In memory for the test
/// cluster and for a single host; PostgreSQL for a cluster of hosts (later).</summary>
public interface IClusterMembership
{
    /// <summary>The current table.</summary>
    PartitionTable Table { get; }

    /// <summary>Raised after the table changed.</summary>
    event Action<PartitionTable>? TableChanged;

    /// <summary>Adds a silo and reassigns partitions.</summary>
    void Join(string silo);

    /// <summary>Removes a silo (stopped or declared dead) and reassigns partitions.</summary>
    void Leave(string silo);

    /// <summary>True when the silo is a live member.</summary>
    bool IsAlive(string silo);
}

/// <summary>Membership kept in process memory, shared by the silos of one process. Epochs start at the
/// base of <paramref name="generation"/> (see <see cref="IClusterGenerationSource"/>).</summary>
public sealed class InMemoryClusterMembership(int partitionCount, long generation = 0) : IClusterMembership
{
    private readonly object _lock = new();
    private readonly List<string> _live = [];
    private PartitionTable _table = PartitionTable.Initial(partitionCount, generation);

    /// <inheritdoc />
    public PartitionTable Table => Volatile.Read(ref _table);

    /// <inheritdoc />
    public event Action<PartitionTable>? TableChanged;

    /// <inheritdoc />
    public void Join(string silo) => Change(() =>
    {
        if (_live.Contains(silo)) throw new InvalidOperationException($"A silo named '{silo}' is already a member of the cluster.");
        _live.Add(silo);
    });

    /// <inheritdoc />
    public void Leave(string silo) => Change(() => _live.Remove(silo));

    /// <inheritdoc />
    public bool IsAlive(string silo)
    {
        lock (_lock) return _live.Contains(silo);
    }

    private void Change(Action change)
    {
        PartitionTable table;
        lock (_lock)
        {
            change();
            table = PartitionTable.Assign(_table, partitionCount, _live.ToArray());
            Volatile.Write(ref _table, table);
        }
        TableChanged?.Invoke(table);
    }
}
