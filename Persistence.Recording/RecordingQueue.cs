namespace Imv.Persistence.Recording;

/// <summary>The recorder's queue: entries waiting for the writer, already encoded, packed into chunks of pooled memory
/// (one copy of a few hundred bytes on a twin's turn; no object per entry for the GC to trace and promote while it
/// waits for its commit). Bounded in entries: beyond <c>capacity</c> an entry is refused (the recorder counts and logs
/// it). One lock orders every entry: entries leave in the order they came, so a twin's entries keep its order.</summary>
internal sealed class RecordingQueue
{
    private const int ChunkBytes = 1 << 20;
    private const int ChunkEntries = 8192;
    // Chunks are large-object-heap arrays: allocating new ones while the writer lags would bring gen2 collections of
    // the whole grid's heap. Every chunk comes back to the pool; Trim gives back what a burst left beyond this many.
    private const int KeptWhenIdle = 16;

    // A plain object, not a Lock: the writer waits on it with Monitor.Wait.
    private readonly object _gate = new();
    private readonly int _capacity;
    private readonly List<Chunk> _full = [];
    private readonly Stack<Chunk> _free = new();
    private Chunk? _current;
    private int _queued;
    private bool _completed, _flushAsked, _writerWaiting;

    public RecordingQueue(int capacity) => _capacity = capacity;

    /// <summary>Entries waiting.</summary>
    public int Count => Volatile.Read(ref _queued);

    /// <summary>Appends an entry; false when the queue is full or completed.</summary>
    public bool TryAdd(RecordedTwin twin, long ticks, int kind, int readings, ReadOnlySpan<byte> data)
    {
        lock (_gate)
        {
            if (_completed || _queued >= _capacity) return false;
            var c = _current;
            if (c is null || c.Count == c.Entries.Length || c.Used + data.Length > c.Data.Length)
            {
                if (c is { Count: > 0 }) _full.Add(c);
                else if (c is not null) Return(c);
                c = _current = Rent(data.Length);
            }
            data.CopyTo(c.Data.AsSpan(c.Used));
            c.Entries[c.Count++] = new Entry(twin, ticks, kind, c.Used, data.Length, readings);
            c.Used += data.Length;
            _queued++;
            if (_writerWaiting && (_queued == 1 || _queued == _capacity / 2)) Monitor.Pulse(_gate);
            return true;
        }
    }

    /// <summary>The writer: waits until there are entries, then for up to <paramref name="gather"/> more (a group
    /// commit) unless a flush is asked, half the capacity is queued or the queue is completed. False when the queue is
    /// completed and empty.</summary>
    public bool WaitForBatch(TimeSpan gather)
    {
        lock (_gate)
        {
            while (_queued == 0 && !_completed) Wait(Timeout.Infinite);
            if (_queued == 0) return false;
            if (gather > TimeSpan.Zero)
            {
                long deadline = Environment.TickCount64 + (long)gather.TotalMilliseconds;
                while (!_flushAsked && !_completed && _queued < _capacity / 2)
                {
                    long left = deadline - Environment.TickCount64;
                    if (left <= 0) break;
                    Wait((int)left);
                }
            }
            _flushAsked = false;
            return true;
        }
    }

    /// <summary>The writer: takes every waiting entry, in order, into <paramref name="into"/>.</summary>
    public void TakeAll(List<Chunk> into)
    {
        lock (_gate)
        {
            if (_current is { Count: > 0 })
            {
                _full.Add(_current);
                _current = null;
            }
            into.AddRange(_full);
            _full.Clear();
            _queued = 0;
        }
    }

    /// <summary>The writer: chunks it committed, for reuse.</summary>
    public void Recycle(List<Chunk> chunks)
    {
        lock (_gate) foreach (var c in chunks) Return(c);
        chunks.Clear();
    }

    /// <summary>Ends the gathering wait now (a flush is waited for).</summary>
    public void AskFlush()
    {
        lock (_gate)
        {
            _flushAsked = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>No more entries are accepted; the writer takes what is left and stops.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }

    private void Wait(int milliseconds)
    {
        _writerWaiting = true;
        Monitor.Wait(_gate, milliseconds);
        _writerWaiting = false;
    }

    private Chunk Rent(int bytes)
    {
        if (bytes <= ChunkBytes && _free.TryPop(out var c)) return c;
        return new Chunk(new byte[Math.Max(ChunkBytes, bytes)], new Entry[ChunkEntries]);
    }

    private void Return(Chunk c)
    {
        c.Used = 0;
        Array.Clear(c.Entries, 0, c.Count);   // the twins
        c.Count = 0;
        if (c.Data.Length == ChunkBytes) _free.Push(c);
    }

    /// <summary>Lets the GC have the pooled chunks beyond a few (called now and then by the writer: after a burst the
    /// pool does not hold its peak for ever).</summary>
    public void Trim()
    {
        lock (_gate) while (_free.Count > KeptWhenIdle) _free.Pop();
    }

    /// <summary>An entry in a chunk: its twin, when, its kind (<see cref="RecordingCodec.ReadingsKind"/> or
    /// <see cref="RecordingCodec.CommandKind"/>), where its encoded bytes are and how many readings they hold.</summary>
    internal readonly record struct Entry(RecordedTwin Twin, long Ticks, int Kind, int Offset, int Length, int Readings);

    /// <summary>Encoded entries back to back, and where each is.</summary>
    internal sealed class Chunk(byte[] data, Entry[] entries)
    {
        public byte[] Data { get; } = data;
        public Entry[] Entries { get; } = entries;
        public int Used { get; set; }
        public int Count { get; set; }
    }
}
