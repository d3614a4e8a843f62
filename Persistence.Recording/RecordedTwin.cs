using System.Text;

namespace Imv.Persistence.Recording;

/// <summary>A twin as one recorder knows it, one object per twin for the process: its id (one string, however many the
/// callers make: Orleans makes the grain key's string anew at each call) and the writer's state for it. Queued entries
/// point here, so the writer reaches a twin's open minutes without hashing its id into a dictionary (at full ingest the
/// lookups' cache misses were a large part of the writer's time), and what the queue holds is old, not young strings
/// the GC would promote while they wait for their commit.</summary>
internal sealed class RecordedTwin(string id)
{
    /// <summary>The twin's id.</summary>
    public string Id { get; } = id;

    /// <summary>The twin's open minutes (<see cref="MinuteRollup"/>, on the writer's thread only); null until its first
    /// readings are rolled up.</summary>
    internal MinuteRollup.TwinMinutes? Minutes { get; set; }

    /// <summary>The store's own state for the twin, reached without a lookup by id (the SQLite store: the twin's open
    /// span of its index); null when it has none. The store's to keep consistent, under its own lock.</summary>
    internal object? StoreState { get; set; }

    /// <summary>The schema the twin's latest entry named its tags by (<see cref="TagSchema"/>; on the twins' turns); null
    /// until its first entry of version 3.</summary>
    internal TagSchema? Schema { get; set; }

    /// <summary>The id in UTF-8 (made once, by the writer: its rows carry the id as text).</summary>
    internal byte[] IdUtf8 => _idUtf8 ??= Encoding.UTF8.GetBytes(Id);

    private byte[]? _idUtf8;
}
