using Imv.Grains.Interfaces.Commands;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Commands;

/// <summary>The commands of one twin: every pending one and the latest finished ones (bounded), by id, for
/// idempotency and audit. Persisted as a list, oldest first.</summary>
[GenerateSerializer]
public sealed class CommandBook
{
    /// <summary>How many finished commands are kept.</summary>
    public const int MaxFinished = 64;

    [NonSerialized]
    private Dictionary<string, int>? _index;
    [NonSerialized]
    private int _pending = -1;

    /// <summary>The records, oldest first.</summary>
    [Id(0)] public List<CommandRecord> Records { get; set; } = [];

    /// <summary>How many records are not terminal.</summary>
    public int PendingCount
    {
        get
        {
            if (_pending >= 0) return _pending;
            int n = 0;
            foreach (var r in Records) if (!r.IsTerminal) n++;
            return _pending = n;
        }
    }

    /// <summary>A record by command id; null when unknown.</summary>
    public CommandRecord? Find(string commandId)
    {
        var index = Index();
        return index.TryGetValue(commandId, out int i) ? Records[i] : null;
    }

    /// <summary>Adds a new record, dropping the oldest finished ones beyond <see cref="MaxFinished"/>.</summary>
    public void Add(CommandRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Find(record.Envelope.CommandId) is not null) throw new InvalidOperationException($"Command '{record.Envelope.CommandId}' exists.");
        Records.Add(record);
        _pending = -1;
        int finished = Records.Count - PendingCount;
        if (finished > MaxFinished)
        {
            int drop = finished - MaxFinished;
            Records.RemoveAll(r => r.IsTerminal && drop-- > 0);
            _index = null;
        }
        else Index()[record.Envelope.CommandId] = Records.Count - 1;
    }

    /// <summary>Replaces a record (same command id).</summary>
    public void Replace(CommandRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!Index().TryGetValue(record.Envelope.CommandId, out int i)) throw new InvalidOperationException($"Unknown command '{record.Envelope.CommandId}'.");
        Records[i] = record;
        _pending = -1;
    }

    /// <summary>The records not yet terminal.</summary>
    public List<CommandRecord> Pending() => Records.FindAll(r => !r.IsTerminal);

    private Dictionary<string, int> Index()
    {
        if (_index is not null) return _index;
        var index = new Dictionary<string, int>(Records.Count, StringComparer.Ordinal);
        for (int i = 0; i < Records.Count; i++) index[Records[i].Envelope.CommandId] = i;
        return _index = index;
    }
}
