using Imv.Grains.Interfaces.TwinIndex;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Grains.TwinIndex;

/// <summary>What an <see cref="TwinStatusIndexBook.Apply"/> changed.</summary>
public enum TwinIndexChange
{
    /// <summary>Nothing (the same entry, or an older status).</summary>
    None,

    /// <summary>Only the status (state, alarms, report time): may be written behind.</summary>
    Status,

    /// <summary>A twin was added, or its kind, organization or gateway changed: written before the call returns.</summary>
    Place,
}

/// <summary>The logic of a twin status index shard: entries kept sorted by twin id (ordinal), so a query is one pass in
/// id order and returns its first matches without sorting. Every idle twin of the grid has an entry here, so an entry is
/// one 32-byte row in an array (its id, the two instants as UTC ticks, the alarm count, the kind and state as bytes and
/// the number of its organization and gateway in the shard's table of places, which a shard's twins share),
/// not an object with a <see cref="DateTimeOffset"/> and three references (about 100 bytes more per twin).
/// <see cref="TwinIndexEntry"/> stays the shape of the calls; it is built only for the entries a query returns.
/// Plain class, tested alone.</summary>
public sealed class TwinStatusIndexBook
{
    private const long NeverStale = 0;
    private const int MaxPlaces = ushort.MaxValue + 1;

    // The (organization, gateway) pairs of the shard's twins, each string held once; a row holds its pair's number.
    private readonly List<(string? Organization, string? Gateway)> _places = [];
    private readonly Dictionary<(string?, string?), ushort> _placeNumbers = [];
    private Row[] _rows = [];
    private int _count;

    /// <summary>An empty shard.</summary>
    public TwinStatusIndexBook()
    {
    }

    /// <summary>Takes the entries of a state stored by the first layout (<see cref="TwinIndexState.Entries"/>), in any
    /// order: the latest entry of each twin (by report time) is kept.</summary>
    public TwinStatusIndexBook(IEnumerable<TwinIndexEntry> entries) : this()
    {
        ArgumentNullException.ThrowIfNull(entries);
        var latest = entries.GroupBy(e => e.TwinId, StringComparer.Ordinal).Select(g => g.MaxBy(e => e.ReportedAt)!)
            .OrderBy(e => e.TwinId, StringComparer.Ordinal).ToList();
        _rows = new Row[latest.Count];
        foreach (var e in latest) _rows[_count++] = RowOf(e);
    }

    private TwinStatusIndexBook(List<(string?, string?)> places, Row[] rows, int count)
    {
        foreach (var place in places)
        {
            _placeNumbers.TryAdd(place, (ushort)_places.Count);
            _places.Add(place);
        }
        _rows = rows;
        _count = count;
    }

    /// <summary>Twins held.</summary>
    public int Count => _count;

    /// <summary>The entry of a twin; null when not held.</summary>
    public TwinIndexEntry? Find(string twinId)
    {
        int i = IndexOf(twinId);
        return i >= 0 ? EntryOf(in _rows[i]) : null;
    }

    /// <summary>Adds or replaces a twin's entry. The place (kind, organization, gateway) is always taken; the status
    /// only when it is not older than the one held (pushes may arrive out of order).</summary>
    public TwinIndexChange Apply(TwinIndexEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentException.ThrowIfNullOrEmpty(entry.TwinId);
        int i = IndexOf(entry.TwinId);
        if (i < 0)
        {
            Insert(~i, RowOf(entry));
            return TwinIndexChange.Place;
        }
        ref var held = ref _rows[i];
        var place = _places[held.Place];
        bool samePlace = held.Kind == entry.Kind && string.Equals(place.Organization, entry.OrganizationId, StringComparison.Ordinal)
            && string.Equals(place.Gateway, entry.Gateway, StringComparison.Ordinal);
        long reported = entry.ReportedAt.UtcTicks;
        if (reported < held.Reported)
        {
            if (samePlace) return TwinIndexChange.None;
            held.Kind = entry.Kind;
            held.Place = PlaceOf(entry.OrganizationId, entry.Gateway);
            return TwinIndexChange.Place;
        }
        long staleAt = entry.StaleAt?.UtcTicks ?? NeverStale;
        bool sameStatus = held.State == entry.State && held.Alarms == entry.ActiveAlarms;
        if (samePlace && sameStatus && held.Reported == reported && held.StaleAt == staleAt) return TwinIndexChange.None;
        held.Reported = reported;
        held.StaleAt = staleAt;
        held.State = entry.State;
        held.Alarms = entry.ActiveAlarms;
        if (!samePlace)
        {
            held.Kind = entry.Kind;
            held.Place = PlaceOf(entry.OrganizationId, entry.Gateway);
            return TwinIndexChange.Place;
        }
        // A later report of the same state and alarms changes only the report time: kept in memory, not worth a write.
        return sameStatus ? TwinIndexChange.None : TwinIndexChange.Status;
    }

    /// <summary>Removes a twin; false when it was not held.</summary>
    public bool Remove(string twinId)
    {
        int i = IndexOf(twinId);
        if (i < 0) return false;
        Array.Copy(_rows, i + 1, _rows, i, _count - i - 1);
        _rows[--_count] = default;
        return true;
    }

    /// <summary>One pass in id order: the matching count, their weight, and the first matches until their weight
    /// reaches the query's Take.</summary>
    public TwinIndexPage Query(TwinIndexQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        int matching = 0;
        long weight = 0, taken = 0;
        List<TwinIndexEntry>? first = null;
        for (int i = 0; i < _count; i++)
        {
            ref readonly var row = ref _rows[i];
            if (!query.Matches(row.Kind, StateAt(in row, query.Now), row.Alarms)) continue;
            int w = query.WeightOf(row.Alarms);
            if (query.WeighByAlarms && w == 0) continue;
            matching++;
            weight += w;
            if (taken < query.Take)
            {
                (first ??= []).Add(EntryOf(in row));
                taken += w;
            }
        }
        return matching == 0 ? TwinIndexPage.Empty : new TwinIndexPage(matching, weight, first?.ToArray() ?? []);
    }

    /// <summary>Every entry, in id order (for tests and the codec's checks; a query is the way to read a shard).</summary>
    public IEnumerable<TwinIndexEntry> Entries()
    {
        for (int i = 0; i < _count; i++) yield return EntryOf(in _rows[i]);
    }

    /// <summary>The stored form of the shard (<see cref="TwinIndexState.Packed"/>): see <see cref="TwinIndexCodec"/>.</summary>
    public byte[] Pack()
    {
        var writer = new TwinIndexCodec.Writer(_count);
        var used = new int[_places.Count];   // stored place number + 1 of each place a twin uses; 0: unused (not stored)
        var stored = new List<int>();        // the places stored, in their stored order
        for (int i = 0; i < _count; i++)
            if (used[_rows[i].Place] == 0)
            {
                stored.Add(_rows[i].Place);
                used[_rows[i].Place] = stored.Count;
            }
        writer.WriteCount(stored.Count);
        foreach (int p in stored)
        {
            var (organization, gateway) = _places[p];
            writer.WriteString(organization);
            writer.WriteString(gateway);
        }
        writer.WriteCount(_count);
        long previous = 0;
        for (int i = 0; i < _count; i++)
        {
            ref readonly var row = ref _rows[i];
            writer.WriteString(row.Id);
            writer.WriteCount(used[row.Place] - 1);
            writer.WriteByte((byte)row.Kind);
            writer.WriteByte((byte)row.State);
            writer.WriteSigned(row.Alarms);
            writer.WriteSigned(row.Reported - previous);   // rows are in id order, their report times close: small deltas
            previous = row.Reported;
            writer.WriteUnsigned(row.StaleAt == NeverStale ? 0 : TwinIndexCodec.ZigZag(row.StaleAt - row.Reported) + 1);
        }
        return writer.ToArray();
    }

    /// <summary>Reads what <see cref="Pack"/> wrote. A damaged form throws <see cref="InvalidDataException"/> saying where.</summary>
    public static TwinStatusIndexBook Unpack(byte[] packed)
    {
        ArgumentNullException.ThrowIfNull(packed);
        var reader = new TwinIndexCodec.Reader(packed);
        int placeCount = reader.ReadCount();
        if (placeCount > MaxPlaces) throw reader.Damaged($"{placeCount} places, at most {MaxPlaces}");
        var places = new List<(string?, string?)>(placeCount);
        for (int p = 0; p < placeCount; p++) places.Add((reader.ReadString(), reader.ReadString()));
        int count = reader.ReadCount();
        var rows = new Row[count];
        long previous = 0;
        string? previousId = null;
        for (int i = 0; i < count; i++)
        {
            var id = reader.ReadString() ?? throw reader.Damaged("a twin id is missing");
            if (previousId is not null && string.CompareOrdinal(previousId, id) >= 0) throw reader.Damaged($"twin '{id}' is out of id order");
            int place = reader.ReadCount();
            if (place >= placeCount) throw reader.Damaged($"twin '{id}' names place {place} of {placeCount}");
            var kind = (TwinKind)reader.ReadByte();
            var state = (MachineRunState)reader.ReadByte();
            if (!Enum.IsDefined(kind) || !Enum.IsDefined(state)) throw reader.Damaged($"twin '{id}' has kind {(byte)kind} and state {(byte)state}");
            int alarms = checked((int)reader.ReadSigned());
            long reported = previous + reader.ReadSigned();
            ulong stale = reader.ReadUnsigned();
            rows[i] = new Row
            {
                Id = id, Place = (ushort)place, Kind = kind, State = state, Alarms = alarms, Reported = reported,
                StaleAt = stale == 0 ? NeverStale : reported + TwinIndexCodec.UnZigZag(stale - 1),
            };
            previous = reported;
            previousId = id;
        }
        reader.End();
        return new TwinStatusIndexBook(places, rows, count);
    }

    /// <summary>The number of a place, added when new. A place no twin uses any more stays until the table is full, then
    /// the table keeps only the places in use.</summary>
    private ushort PlaceOf(string? organization, string? gateway)
    {
        if (_placeNumbers.TryGetValue((organization, gateway), out var number)) return number;
        if (_places.Count == MaxPlaces) CompactPlaces();
        if (_places.Count == MaxPlaces)
            throw new InvalidOperationException($"A twin index shard holds twins of {MaxPlaces} different organizations and gateways, its most.");
        number = (ushort)_places.Count;
        _places.Add((organization, gateway));
        _placeNumbers.Add((organization, gateway), number);
        return number;
    }

    private void CompactPlaces()
    {
        var renumbered = new int[_places.Count];   // new number + 1; 0: unused
        var kept = new List<(string?, string?)>();
        for (int i = 0; i < _count; i++)
        {
            ref var row = ref _rows[i];
            if (renumbered[row.Place] == 0)
            {
                kept.Add(_places[row.Place]);
                renumbered[row.Place] = kept.Count;
            }
            row.Place = (ushort)(renumbered[row.Place] - 1);
        }
        _places.Clear();
        _placeNumbers.Clear();
        foreach (var place in kept)
        {
            _placeNumbers.Add(place, (ushort)_places.Count);
            _places.Add(place);
        }
    }

    private Row RowOf(TwinIndexEntry e) => new()
    {
        Id = e.TwinId, Kind = e.Kind, State = e.State, Alarms = e.ActiveAlarms, Reported = e.ReportedAt.UtcTicks,
        StaleAt = e.StaleAt?.UtcTicks ?? NeverStale, Place = PlaceOf(e.OrganizationId, e.Gateway),
    };

    private TwinIndexEntry EntryOf(in Row row)
    {
        var (organization, gateway) = _places[row.Place];
        return new TwinIndexEntry(row.Id, row.Kind, organization, gateway, row.State, row.Alarms, new DateTimeOffset(row.Reported, TimeSpan.Zero),
            row.StaleAt == NeverStale ? null : new DateTimeOffset(row.StaleAt, TimeSpan.Zero));
    }

    private static MachineRunState StateAt(in Row row, DateTimeOffset now) =>
        TwinIndexEntry.StateAt(row.State, row.StaleAt == NeverStale ? null : new DateTimeOffset(row.StaleAt, TimeSpan.Zero), now);

    private void Insert(int at, Row row)
    {
        if (_count == _rows.Length)
        {
            // Grows by an eighth (not doubling): the spare rows of a shard of thousands of idle twins are memory per twin.
            var grown = new Row[Math.Max(16, _count + (_count >> 3))];
            Array.Copy(_rows, grown, at);
            Array.Copy(_rows, at, grown, at + 1, _count - at);
            _rows = grown;
        }
        else
        {
            Array.Copy(_rows, at, _rows, at + 1, _count - at);
        }
        _rows[at] = row;
        _count++;
    }

    private int IndexOf(string twinId)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) >> 1);
            int c = string.CompareOrdinal(_rows[mid].Id, twinId);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return ~lo;
    }

    /// <summary>One twin: 32 bytes. Instants are UTC ticks (<see cref="NeverStale"/>: no stale instant).</summary>
    private struct Row
    {
        public string Id;
        public long Reported;
        public long StaleAt;
        public int Alarms;
        public ushort Place;
        public TwinKind Kind;
        public MachineRunState State;
    }
}
