using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace Imv.Grains.Machines;

/// <summary>The tags of one twin, stored column-wise: one array per field, indexed by the tag's position in
/// the shared <see cref="TagSchema"/>. Scalars live inline in the arrays (no object per tag), so an idle twin
/// with 20 tags costs about 1.3 KiB here. The arrays are the persisted form too: this class is serialized as is.</summary>
// SourceTicks and ReceivedTicks are stored through their packed forms, Metadata through MachineSchemaState.
#pragma warning disable ORLEANS0004
[GenerateSerializer]
#pragma warning restore ORLEANS0004
public sealed class TagTable
{
    /// <summary>The most tags a twin accepts; readings of further unknown tags are rejected.</summary>
    public const int MaxTags = 4096;

    [NonSerialized]
    private TagSchema _schema = TagSchema.Empty;
    [NonSerialized]
    private IReadOnlyList<AlarmBand>? _bands;

    /// <summary>The schema (names, metadata, alarm bands), shared between twins.</summary>
    public TagSchema Schema => _schema;

    /// <summary>Tag metadata by index. Not serialized with the table (it changes rarely and is written apart,
    /// see <c>MachineSchemaState</c>); setting it interns the schema and fits the arrays to it.</summary>
    public TagMetadata[] Metadata
    {
        get => _schema.Metadata;
        set
        {
            _schema = TagSchema.Intern(value ?? [], new AlarmBand?[value?.Length ?? 0]);
            if (_bands is not null) _schema = _schema.WithBands(_bands);
            if (Values.Length > Count) Truncate(Count);
            EnsureCapacity(Count);
        }
    }

    /// <summary>Latest value by index.</summary>
    [Id(1)] public TagValue[] Values { get; set; } = [];

    /// <summary>Source timestamp (UTC ticks) by index.</summary>
    public long[] SourceTicks { get; set; } = [];

    /// <summary>Received timestamp (UTC ticks) by index; 0 when never read.</summary>
    public long[] ReceivedTicks { get; set; } = [];

    /// <summary>Source sequence by index.</summary>
    [Id(4)] public long[] Sequences { get; set; } = [];

    /// <summary>Stored quality by index (before ageing).</summary>
    [Id(5)] public TagQuality[] Qualities { get; set; } = [];

    /// <summary>Active alarm level by index; empty while no tag has an alarm band.</summary>
    [Id(6)] public AlarmLevel[] Alarms { get; set; } = [];

    /// <summary>When the active alarm was raised (UTC ticks) by index.</summary>
    [Id(7)] public long[] AlarmSinceTicks { get; set; } = [];

    /// <summary>Readings applied.</summary>
    [Id(8)] public long AppliedCount { get; set; }

    /// <summary>Readings ignored as older than the stored value.</summary>
    [Id(9)] public long StaleCount { get; set; }

    /// <summary>Readings ignored as duplicates.</summary>
    [Id(10)] public long DuplicateCount { get; set; }

    /// <summary>Readings refused.</summary>
    [Id(11)] public long RejectedCount { get; set; }

    /// <summary>When any tag was last received (UTC ticks); 0 when never.</summary>
    [Id(12)] public long LastReceivedTicks { get; set; }

    /// <summary><see cref="SourceTicks"/> as stored: each element minus the previous one (the first as is).
    /// Tags sampled together have equal timestamps, so most elements store as one byte instead of nine.</summary>
    [Id(13)]
    public long[] SourceTicksPacked { get => Pack(SourceTicks); set => SourceTicks = Unpack(value); }

    /// <summary><see cref="ReceivedTicks"/> as stored, packed like <see cref="SourceTicksPacked"/>.</summary>
    [Id(14)]
    public long[] ReceivedTicksPacked { get => Pack(ReceivedTicks); set => ReceivedTicks = Unpack(value); }

    /// <summary>The last refused reading per tag (by index); null until a reading of a known tag is refused (most
    /// twins never see one), and null where a tag never had one.</summary>
    [Id(15)] public TagRejection?[]? Rejections { get; set; }

    /// <summary>Each element minus the previous one.</summary>
    public static long[] Pack(long[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var packed = new long[values.Length];
        long previous = 0;
        for (int i = 0; i < values.Length; i++) { packed[i] = unchecked(values[i] - previous); previous = values[i]; }
        return packed;
    }

    /// <summary>The running sum: the inverse of <see cref="Pack"/>.</summary>
    public static long[] Unpack(long[]? packed)
    {
        if (packed is null) return [];
        var values = new long[packed.Length];
        long previous = 0;
        for (int i = 0; i < packed.Length; i++) { previous = unchecked(previous + packed[i]); values[i] = previous; }
        return values;
    }

    /// <summary>How many tags.</summary>
    public int Count => _schema.Count;

    /// <summary>The index of a tag; -1 when unknown.</summary>
    public int IndexOf(string tag) => _schema.IndexOf(tag);

    /// <summary>Replaces the alarm bands (tags without a band lose their active alarm silently). Bands of tags
    /// not known yet apply once the tag is learned.</summary>
    public void SetBands(IReadOnlyList<AlarmBand>? bands)
    {
        if (bands is not null) foreach (var b in bands) AlarmEvaluator.Validate(b);
        _bands = bands;
        _schema = _schema.WithBands(bands);
        EnsureCapacity(Count);
        for (int i = 0; i < Alarms.Length && i < Count; i++)
            if (_schema.Bands[i] is null) { Alarms[i] = AlarmLevel.None; AlarmSinceTicks[i] = 0; }
    }

    /// <summary>Adds tags or replaces their metadata; the values stay. Returns true when anything changed.</summary>
    public bool Describe(IEnumerable<TagMetadata>? tags, IReadOnlyList<AlarmBand>? bands)
    {
        if (tags is null) return false;
        var before = _schema;
        var metadata = new List<TagMetadata>(_schema.Metadata);
        foreach (var tag in tags)
        {
            ArgumentNullException.ThrowIfNull(tag);
            if (string.IsNullOrEmpty(tag.Name)) throw new ArgumentException("A tag needs a name.", nameof(tags));
            if (tag.Minimum is { } min && tag.Maximum is { } max && min > max)
                throw new ArgumentException($"Tag '{tag.Name}': Minimum is above Maximum.", nameof(tags));
            int i = metadata.FindIndex(m => string.Equals(m.Name, tag.Name, StringComparison.Ordinal));
            if (i >= 0)
            {
                if (metadata[i].DataType != tag.DataType) Retype(i, tag.DataType);
                metadata[i] = tag;
            }
            else
            {
                if (metadata.Count >= MaxTags) throw new ArgumentException($"A twin holds at most {MaxTags} tags.", nameof(tags));
                metadata.Add(tag);
            }
        }
        if (metadata.Count == _schema.Count && metadata.SequenceEqual(_schema.Metadata)) return false;
        if (bands is not null) _bands = bands;
        _schema = TagSchema.Intern([.. metadata], new AlarmBand?[metadata.Count]).WithBands(_bands);
        EnsureCapacity(Count);
        return !ReferenceEquals(before, _schema);
    }

    /// <summary>A tag's data type changed (a new description: the value's shape changed, or integers widened to
    /// doubles): the stored value is kept when it fits the new type (an integer widened to a double), else cleared
    /// (never read: the next reading of the new type is taken whatever its timestamp).</summary>
    private void Retype(int index, TagDataType type)
    {
        if (index >= Values.Length) return;
        var value = Values[index];
        if (value.IsNone || value.DataType == type || type == TagDataType.None) return;
        if (type == TagDataType.Double && value.DataType == TagDataType.Integer) { Values[index] = TagValue.FromDouble(value.AsInteger()); return; }
        if (type == TagDataType.DoubleArray && value.DataType == TagDataType.IntegerArray)
        {
            Values[index] = TagValue.FromArray(Array.ConvertAll((long[])value.AsArray(), l => (double)l));
            return;
        }
        Values[index] = TagValue.None;
        SourceTicks[index] = 0;
        ReceivedTicks[index] = 0;
        Sequences[index] = 0;
        Qualities[index] = TagQuality.Bad;
        if (index < Alarms.Length) { Alarms[index] = AlarmLevel.None; AlarmSinceTicks[index] = 0; }
    }

    /// <summary>Applies readings; the newest per tag (by source timestamp, then sequence) wins. Unknown tags
    /// are learned as read-only tags of the reading's data type. Alarm transitions are appended to
    /// <paramref name="events"/> (created on the first one). When <paramref name="accepted"/> is given (as long as
    /// <paramref name="updates"/>), it tells which readings were applied (for the recording).</summary>
    public IngestResult Ingest(ReadOnlySpan<TagUpdate> updates, DateTimeOffset now, string twinId, ref List<AlarmEvent>? events, Span<bool> accepted = default)
    {
        bool mark = accepted.Length >= updates.Length && updates.Length > 0;
        if (mark) accepted[..updates.Length].Clear();
        int at = -1;
        long nowTicks = now.UtcTicks;
        int applied = 0, stale = 0, duplicate = 0, rejected = 0;
        foreach (ref readonly var u in updates)
        {
            at++;
            if (u.Tag is null) { rejected++; continue; }
            int i = _schema.IndexOf(u.Tag);
            if (i < 0)
            {
                if (Count >= MaxTags || u.Value.IsNone) { rejected++; continue; }
                LearnUnknownTags(updates);
                i = _schema.IndexOf(u.Tag);
                if (i < 0) { rejected++; continue; }
            }
            var value = u.Value;
            var declared = _schema.Metadata[i].DataType;
            if (value.DataType != declared && !value.IsNone && declared != TagDataType.None)
            {
                if (declared == TagDataType.Double && value.DataType == TagDataType.Integer) value = TagValue.FromDouble(value.AsInteger());
                else if (declared == TagDataType.DoubleArray && value.DataType == TagDataType.IntegerArray)
                    value = TagValue.FromArray(Array.ConvertAll((long[])value.AsArray(), l => (double)l));
                else
                {
                    rejected++;
                    Reject(i, value.DataType, declared, now);
                    continue;
                }
            }
            long ts = u.SourceTimestamp.UtcTicks;
            if (ReceivedTicks[i] != 0)
            {
                int cmp = ts != SourceTicks[i] ? ts.CompareTo(SourceTicks[i]) : u.Sequence.CompareTo(Sequences[i]);
                if (cmp < 0) { stale++; continue; }
                if (cmp == 0) { duplicate++; continue; }
            }
            Values[i] = value;
            SourceTicks[i] = ts;
            ReceivedTicks[i] = nowTicks;
            Sequences[i] = u.Sequence;
            Qualities[i] = u.Quality;
            applied++;
            if (mark) accepted[at] = true;
            if (_schema.Bands[i] is { } band && u.Quality != TagQuality.Bad && value.TryGetNumber(out double number))
            {
                var previous = Alarms[i];
                var next = AlarmEvaluator.Evaluate(number, previous, band);
                if (next != previous)
                {
                    events ??= [];
                    if (previous != AlarmLevel.None) events.Add(new AlarmEvent(twinId, u.Tag, previous, false, number, u.SourceTimestamp));
                    if (next != AlarmLevel.None) events.Add(new AlarmEvent(twinId, u.Tag, next, true, number, u.SourceTimestamp));
                    Alarms[i] = next;
                    AlarmSinceTicks[i] = next == AlarmLevel.None ? 0 : ts;
                }
            }
        }
        if (applied > 0) LastReceivedTicks = nowTicks;
        AppliedCount += applied;
        StaleCount += stale;
        DuplicateCount += duplicate;
        RejectedCount += rejected;
        return new IngestResult(applied, stale, duplicate, rejected);
    }

    /// <summary>Sets tags to a recorded state (a replay's start, <see cref="TwinSeed"/>): each reading's value, quality,
    /// source time and sequence, received at its <see cref="SeededTag.ReceivedAt"/>; unknown tags are learned. An alarm is
    /// active where a band says so at the value (evaluated from no alarm: a deadband's hysteresis before the seed is not
    /// known), since the reading's source time; no alarm event, and the reading counters stay as they are. A reading
    /// whose type the tag does not take is left out. Returns how many tags were set.</summary>
    public int Seed(ReadOnlySpan<SeededTag> tags)
    {
        int seeded = 0;
        long lastReceived = LastReceivedTicks;
        foreach (ref readonly var s in tags)
        {
            var u = s.Reading;
            if (u.Tag is null || u.Value.IsNone) continue;
            int i = _schema.IndexOf(u.Tag);
            if (i < 0)
            {
                if (Count >= MaxTags) continue;
                LearnUnknownTags([u]);
                i = _schema.IndexOf(u.Tag);
                if (i < 0) continue;
            }
            var value = u.Value;
            var declared = _schema.Metadata[i].DataType;
            if (value.DataType != declared && declared != TagDataType.None)
            {
                if (declared == TagDataType.Double && value.DataType == TagDataType.Integer) value = TagValue.FromDouble(value.AsInteger());
                else if (declared == TagDataType.DoubleArray && value.DataType == TagDataType.IntegerArray)
                    value = TagValue.FromArray(Array.ConvertAll((long[])value.AsArray(), l => (double)l));
                else continue;
            }
            Values[i] = value;
            SourceTicks[i] = u.SourceTimestamp.UtcTicks;
            ReceivedTicks[i] = s.ReceivedAt.UtcTicks;
            Sequences[i] = u.Sequence;
            Qualities[i] = u.Quality;
            lastReceived = Math.Max(lastReceived, s.ReceivedAt.UtcTicks);
            seeded++;
            if (i < Alarms.Length)
            {
                var level = _schema.Bands[i] is { } band && u.Quality != TagQuality.Bad && value.TryGetNumber(out double number)
                    ? AlarmEvaluator.Evaluate(number, AlarmLevel.None, band) : AlarmLevel.None;
                Alarms[i] = level;
                AlarmSinceTicks[i] = level == AlarmLevel.None ? 0 : u.SourceTimestamp.UtcTicks;
            }
        }
        LastReceivedTicks = lastReceived;
        return seeded;
    }

    /// <summary>Records a refused reading of tag <paramref name="index"/>.</summary>
    private void Reject(int index, TagDataType received, TagDataType expected, DateTimeOffset now)
    {
        var rejections = Rejections;
        if (rejections is null || rejections.Length < Count) Rejections = rejections = Grow(rejections ?? [], Count);
        long count = (rejections[index]?.Count ?? 0) + 1;
        rejections[index] = new TagRejection($"value is {received}, tag '{_schema.Metadata[index].Name}' is {expected}", now, count, expected, received);
    }

    /// <summary>The last refused reading of a tag; null when none.</summary>
    public TagRejection? RejectionOf(int index) => Rejections is { } r && index < r.Length ? r[index] : null;

    /// <summary>Adds every unknown tag of a batch at once (in batch order), so a batch of N new tags makes one
    /// new schema, not N intermediate ones.</summary>
    private void LearnUnknownTags(ReadOnlySpan<TagUpdate> updates)
    {
        var metadata = new List<TagMetadata>(_schema.Metadata);
        HashSet<string>? added = null;
        foreach (ref readonly var u in updates)
        {
            if (u.Tag is null || u.Value.IsNone || _schema.IndexOf(u.Tag) >= 0) continue;
            if (metadata.Count >= MaxTags) break;
            if (!(added ??= new HashSet<string>(StringComparer.Ordinal)).Add(u.Tag)) continue;
            metadata.Add(new TagMetadata(u.Tag, u.Value.DataType));
        }
        _schema = TagSchema.Intern([.. metadata], new AlarmBand?[metadata.Count]).WithBands(_bands);
        EnsureCapacity(Count);
    }

    /// <summary>Offline turns every tag Bad; Reconnecting turns Good tags Uncertain; Online changes nothing
    /// (fresh readings bring Good back).</summary>
    public void SetConnectivity(TwinConnectivity connectivity)
    {
        for (int i = 0; i < Count; i++)
        {
            if (connectivity == TwinConnectivity.Offline) Qualities[i] = TagQuality.Bad;
            else if (connectivity == TwinConnectivity.Reconnecting && Qualities[i] == TagQuality.Good) Qualities[i] = TagQuality.Uncertain;
        }
    }

    /// <summary>Whether a tag's value is older (by receipt) than its staleness bound: the tag's
    /// <see cref="TagMetadata.ExpectedPeriod"/>, else <paramref name="twinBound"/>; a zero bound never goes stale, and a
    /// tag never read is not stale (it has no data). Computed at read time: no timer per twin.</summary>
    public bool IsStale(int index, DateTimeOffset now, TimeSpan twinBound)
    {
        long received = ReceivedTicks[index];
        if (received == 0) return false;
        var bound = _schema.Metadata[index].ExpectedPeriod ?? twinBound;
        return bound > TimeSpan.Zero && now.UtcTicks - received > bound.Ticks;
    }

    /// <summary>When every tag with a value will be stale (see <see cref="IsStale"/>) if nothing more arrives; null when no
    /// tag has a value or some tag with a value never goes stale.</summary>
    public DateTimeOffset? AllStaleAt(TimeSpan twinBound)
    {
        long latest = 0;
        for (int i = 0; i < Count; i++)
        {
            long received = ReceivedTicks[i];
            if (received == 0) continue;
            var bound = _schema.Metadata[i].ExpectedPeriod ?? twinBound;
            if (bound <= TimeSpan.Zero) return null;
            latest = Math.Max(latest, received + bound.Ticks + 1);   // stale once older than the bound
        }
        return latest == 0 ? null : new DateTimeOffset(latest, TimeSpan.Zero);
    }

    /// <summary>True when some tag has a value and every tag with a value is stale (see <see cref="IsStale"/>).</summary>
    public bool AllStale(DateTimeOffset now, TimeSpan twinBound)
    {
        bool any = false;
        for (int i = 0; i < Count; i++)
        {
            if (ReceivedTicks[i] == 0) continue;
            if (!IsStale(i, now, twinBound)) return false;
            any = true;
        }
        return any;
    }

    /// <summary>A tag's quality now: the stored one, turned Uncertain when Good but stale (see <see cref="IsStale"/>).</summary>
    public TagQuality EffectiveQuality(int index, DateTimeOffset now, TimeSpan twinBound = default)
    {
        if (ReceivedTicks[index] == 0) return TagQuality.Bad;
        var q = Qualities[index];
        return q == TagQuality.Good && IsStale(index, now, twinBound) ? TagQuality.Uncertain : q;
    }

    /// <summary>One tag as of now; <paramref name="twinBound"/> is the staleness bound of tags without their own.</summary>
    public TagSnapshot Snapshot(int index, DateTimeOffset now, TimeSpan twinBound = default)
    {
        long received = ReceivedTicks[index];
        return new TagSnapshot(
            _schema.Metadata[index].Name,
            Values[index],
            EffectiveQuality(index, now, twinBound),
            new DateTimeOffset(SourceTicks[index], TimeSpan.Zero),
            new DateTimeOffset(received, TimeSpan.Zero),
            Sequences[index],
            received == 0 ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(0, now.UtcTicks - received)),
            index < Alarms.Length ? Alarms[index] : AlarmLevel.None,
            RejectionOf(index),
            IsStale(index, now, twinBound));
    }

    /// <summary>The alarms active now.</summary>
    public List<ActiveAlarm> ActiveAlarms()
    {
        var list = new List<ActiveAlarm>();
        for (int i = 0; i < Alarms.Length && i < Count; i++)
        {
            if (Alarms[i] == AlarmLevel.None) continue;
            Values[i].TryGetNumber(out double v);
            list.Add(new ActiveAlarm(_schema.Metadata[i].Name, Alarms[i], new DateTimeOffset(AlarmSinceTicks[i], TimeSpan.Zero), v));
        }
        return list;
    }

    /// <summary>How many alarms are active, and whether one of them is critical.</summary>
    public (int Active, bool Critical) AlarmSummary()
    {
        int active = 0;
        bool critical = false;
        for (int i = 0; i < Alarms.Length && i < Count; i++)
        {
            if (Alarms[i] == AlarmLevel.None) continue;
            active++;
            critical |= AlarmEvaluator.IsCritical(Alarms[i]);
        }
        return (active, critical);
    }

    /// <summary>A tag's value when it has one.</summary>
    public bool TryGetValue(string tag, out TagValue value, out long receivedTicks)
    {
        int i = IndexOf(tag);
        if (i < 0 || ReceivedTicks[i] == 0) { value = default; receivedTicks = 0; return false; }
        value = Values[i];
        receivedTicks = ReceivedTicks[i];
        return true;
    }

    /// <summary>Sizes the arrays for <paramref name="count"/> tags. The two alarm arrays exist only while some
    /// tag has an alarm band (most tags of most twins have none).</summary>
    private void EnsureCapacity(int count)
    {
        // Each column on its own: a record stored by an older version may lack one.
        if (Values.Length < count) Values = Grow(Values, count);
        if (SourceTicks.Length < count) SourceTicks = Grow(SourceTicks, count);
        if (ReceivedTicks.Length < count) ReceivedTicks = Grow(ReceivedTicks, count);
        if (Sequences.Length < count) Sequences = Grow(Sequences, count);
        if (Qualities.Length < count) Qualities = Grow(Qualities, count);
        if (_schema.HasBands && Alarms.Length < count)
        {
            Alarms = Grow(Alarms, count);
            AlarmSinceTicks = Grow(AlarmSinceTicks, count);
        }
    }

    /// <summary>Drops values beyond <paramref name="count"/> tags (values whose metadata was never stored).</summary>
    private void Truncate(int count)
    {
        Values = Values[..count];
        SourceTicks = SourceTicks[..Math.Min(count, SourceTicks.Length)];
        ReceivedTicks = ReceivedTicks[..Math.Min(count, ReceivedTicks.Length)];
        Sequences = Sequences[..Math.Min(count, Sequences.Length)];
        Qualities = Qualities[..Math.Min(count, Qualities.Length)];
        if (Alarms.Length > count) { Alarms = Alarms[..count]; AlarmSinceTicks = AlarmSinceTicks[..count]; }
        if (Rejections is { } r && r.Length > count) Rejections = r[..count];
    }

    private static T[] Grow<T>(T[] array, int capacity)
    {
        var grown = new T[capacity];
        array.AsSpan().CopyTo(grown);
        return grown;
    }
}
