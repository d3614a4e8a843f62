using Imv.Persistence.Recording;

namespace Imv.Persistence.Sqlite.Recording;

/// <summary>The recording's index by twin, as the writer builds it: per twin, the positions (and instants and kinds) of
/// its entries gathered into a span of at most <see cref="SpanCodec.Width"/> of recorded time and
/// <see cref="SpanCodec.MaxEntries"/> entries, written as one row of <c>recording_spans</c> when it closes. Instead of a
/// random insert into a (twin, at) index per entry (one dirty 4 KiB page per entry per commit, the largest part of the
/// recording's cost at full ingest) there is one row per twin and minute at most.</summary>
/// <remarks>Open spans and spans closed but not yet written are in memory; readers of the recorder copy a twin's
/// (<see cref="Copy"/>, under a lock held only for memory work, never across a commit). A span stays visible here until
/// the commit that wrote it finished, so a reader reading memory first and the table after misses nothing (it may see a
/// position twice: readers drop duplicates). After a crash the spans in memory are lost, not the entries: the writer
/// rebuilds them on open from the rows at and after <c>recording_state.unindexed_from</c>. The writer's entries come with
/// their twin's <see cref="RecordedTwin"/>, which points to the twin's open span (<see cref="RecordedTwin.StoreState"/>):
/// the dictionary by id is for readers, and for the writer only when a span opens or closes (hashing a twin's id for
/// every entry was a tenth of the writer's time).</remarks>
internal sealed class TwinSpans
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Span> _open = new(StringComparer.Ordinal);
    // Spans in the order they opened (about the order of their first instants): the quiet ones are found from the head.
    private readonly Queue<(Span Span, int Generation)> _opened = new();
    private readonly List<Span> _closing = [];
    private readonly Stack<Span> _free = new();
    private long _latestTicks = long.MinValue;

    /// <summary>Spans closed and waiting to be written.</summary>
    public int Closing { get { lock (_lock) return _closing.Count; } }

    /// <summary>The writer, after the commit of entries: adds them (in position order).</summary>
    public void Add(ReadOnlySpan<Entry> entries)
    {
        lock (_lock)
        {
            foreach (ref readonly var e in entries) AddLocked(e);
            // A twin gone quiet: its span closes once the recording moved a width past the span's start.
            while (_latestTicks != long.MinValue && _opened.TryPeek(out var head) && (head.Span.Generation != head.Generation || head.Span.MinTicks < _latestTicks - SpanCodec.Width.Ticks))
            {
                _opened.Dequeue();
                if (head.Span.Generation == head.Generation) CloseLocked(head.Span);
            }
        }
    }

    private void AddLocked(in Entry e)
    {
        long ticks = e.Ticks;
        if (ticks > _latestTicks) _latestTicks = ticks;
        var span = e.Twin?.StoreState as Span;
        // A span opened without the twin's object (rebuilt on open): from now on reached through it.
        if (span is null && _open.TryGetValue(e.TwinId, out span)) Own(span, e.Twin);
        if (span is not null && !span.Accepts(ticks))
        {
            CloseLocked(span);
            span = null;
        }
        if (span is null)
        {
            span = _free.TryPop(out var s) ? s : new Span();
            span.Start(e.TwinId, e.Position, ticks);
            _open[e.TwinId] = span;
            Own(span, e.Twin);
            _opened.Enqueue((span, span.Generation));
        }
        span.Append(e.Position, ticks, e.Kind);
    }

    private void CloseLocked(Span span)
    {
        _open.Remove(span.Twin);
        Disown(span);
        span.Generation++;   // its entry in _opened is stale now
        _closing.Add(span);
    }

    /// <summary>The twin's object (when the entry came with one) points to the span, open for it.</summary>
    private static void Own(Span span, RecordedTwin? twin)
    {
        if (twin is null) return;
        span.Owner = twin;
        twin.StoreState = span;
    }

    /// <summary>The span's twin no longer points to it (it closes).</summary>
    private static void Disown(Span span)
    {
        if (span.Owner is { } owner && ReferenceEquals(owner.StoreState, span)) owner.StoreState = null;
        span.Owner = null;
    }

    /// <summary>Closes every open span (the recorder stops; or a migration built them all).</summary>
    public void CloseAll()
    {
        lock (_lock)
        {
            foreach (var s in _open.Values)
            {
                Disown(s);
                s.Generation++;
                _closing.Add(s);
            }
            _open.Clear();
            _opened.Clear();
        }
    }

    /// <summary>The writer, inside its transaction: the spans to write now (taken as they are: later spans go in the
    /// next commit).</summary>
    public void TakeClosing(List<Span> into)
    {
        lock (_lock) into.AddRange(_closing);
    }

    /// <summary>The writer, after the commit that wrote <paramref name="written"/>: they leave memory.</summary>
    public void Written(List<Span> written)
    {
        lock (_lock)
        {
            // The written ones are the first of _closing (later closes were appended after them).
            _closing.RemoveRange(0, written.Count);
            // Kept for reuse up to one per open span: every twin's span closes about once a minute and a new one opens
            // (a cap of a few thousand made 100,000 twins allocate 100,000 spans a minute, each living a minute: the
            // garbage a generational GC handles worst).
            int keep = Math.Max(4096, _open.Count);
            foreach (var s in written)
            {
                s.Clear();
                if (_free.Count < keep) _free.Push(s);
            }
        }
        written.Clear();
    }

    /// <summary>The first position not written in a span (open or closing, or not added yet: <paramref name="next"/>):
    /// what a restart after a crash must index again.</summary>
    public long UnindexedFrom(long next, int writing)
    {
        lock (_lock)
        {
            long first = next;
            // The open spans' first positions grow in the order they opened (entries come in position order): the oldest
            // still open is the first live one of _opened. (A walk of every open span here, at every commit, was 5 % of
            // the writer's time with 100,000 twins.)
            while (_opened.TryPeek(out var head) && head.Span.Generation != head.Generation) _opened.Dequeue();
            if (_opened.TryPeek(out var oldest)) first = Math.Min(first, oldest.Span.FirstPosition);
            for (int i = writing; i < _closing.Count; i++) first = Math.Min(first, _closing[i].FirstPosition);
            return first;
        }
    }

    /// <summary>The positions of <paramref name="twin"/>'s entries still in memory, with their instants and kinds.</summary>
    public List<SpanEntry> Copy(string twin)
    {
        var into = new List<SpanEntry>();
        lock (_lock)
        {
            foreach (var s in _closing) if (string.Equals(s.Twin, twin, StringComparison.Ordinal)) s.CopyTo(into);
            if (_open.TryGetValue(twin, out var open)) open.CopyTo(into);
        }
        return into;
    }

    /// <summary>An entry to index: its twin, position, instant and kind; from the writer, with the twin's object (its
    /// open span is found through it).</summary>
    internal readonly record struct Entry(string TwinId, long Position, long Ticks, int Kind, RecordedTwin? Twin = null);

    /// <summary>One twin's span being gathered: its entries encoded as <see cref="SpanCodec"/> writes them.</summary>
    internal sealed class Span
    {
        private byte[] _data = new byte[256];
        private long _lastPosition, _lastTicks;

        public string Twin { get; private set; } = "";
        /// <summary>The twin's object pointing to this span while it is open (null for a span rebuilt on open until the
        /// twin's next entry).</summary>
        public RecordedTwin? Owner { get; set; }
        public int Generation { get; set; }
        public long FirstPosition { get; private set; }
        public long LastPosition => _lastPosition;
        public long MinTicks { get; private set; }
        public long MaxTicks { get; private set; }
        public int Count { get; private set; }
        public int Length { get; private set; }
        public ReadOnlySpan<byte> Data => _data.AsSpan(0, Length);

        public void Start(string twin, long position, long ticks)
        {
            Twin = twin;
            FirstPosition = _lastPosition = position;
            MinTicks = MaxTicks = _lastTicks = ticks;
            Count = 0;
            Length = 0;
        }

        /// <summary>Whether an entry at <paramref name="ticks"/> fits: the span's width and size stay bounded, and its
        /// instants never start before its first (a clock set back starts a new span).</summary>
        public bool Accepts(long ticks) => Count < SpanCodec.MaxEntries && ticks >= MinTicks && ticks - MinTicks <= SpanCodec.Width.Ticks;

        public void Append(long position, long ticks, int kind)
        {
            if (Length + 21 > _data.Length) Array.Resize(ref _data, _data.Length * 2);
            Length = SpanCodec.Append(_data, Length, position - _lastPosition, ticks - _lastTicks, kind);
            _lastPosition = position;
            _lastTicks = ticks;
            MaxTicks = Math.Max(MaxTicks, ticks);
            Count++;
        }

        public void CopyTo(List<SpanEntry> into) => SpanCodec.Decode(Data, FirstPosition, MinTicks, into);

        public void Clear()
        {
            Twin = "";
            Count = Length = 0;
            if (_data.Length > 4096) _data = new byte[256];
        }
    }
}
