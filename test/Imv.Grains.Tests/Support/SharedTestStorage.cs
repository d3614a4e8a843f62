using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace Imv.Grains.Tests.Support;

/// <summary>One stored grain state: the serialized bytes (Orleans' binary serializer, as the SQLite provider
/// writes them) and the ETag.</summary>
public sealed record StoredRecord(byte[] Data, string ETag);

/// <summary>The "database" shared by every silo of a test cluster (and by the clusters a test starts one after
/// the other), as the silos of a real cluster share one: grain states by (state name, grain id), ETag-checked,
/// and the reminder rows. It outlives silos, so state and reminders survive a kill or restart.</summary>
public sealed class SharedTestStorage
{
    private readonly ConcurrentDictionary<(string State, GrainId Grain), StoredRecord> _states = new();
    private readonly Lock _lock = new();
    private long _etag;
    private long _bytes;

    /// <summary>The reminder table over this store.</summary>
    public SharedTestReminderTable Reminders { get; } = new();

    /// <summary>Bytes written by grains so far.</summary>
    public long BytesWritten => Interlocked.Read(ref _bytes);

    /// <summary>The largest record written, by state name.</summary>
    public ConcurrentDictionary<string, long> LargestByState { get; } = new(StringComparer.Ordinal);

    /// <summary>Called before a grain's write is applied (a test can hold writes here).</summary>
    public Func<string, GrainId, Task>? BeforeWrite { get; set; }

    /// <summary>The stored record, or null.</summary>
    public StoredRecord? Read(string stateName, GrainId grainId) => _states.TryGetValue((stateName, grainId), out var r) ? r : null;

    /// <summary>Writes a record when the stored ETag is <paramref name="expectedETag"/> (null: no record);
    /// otherwise throws <see cref="InconsistentStateException"/>. Returns the new ETag.</summary>
    public string Write(string stateName, GrainId grainId, byte[] data, string? expectedETag)
    {
        lock (_lock)
        {
            var current = Read(stateName, grainId);
            if (current?.ETag != expectedETag)
                throw new InconsistentStateException($"State '{stateName}' of {grainId} was written elsewhere", current?.ETag, expectedETag);
            var etag = Interlocked.Increment(ref _etag).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _states[(stateName, grainId)] = new StoredRecord(data, etag);
            return etag;
        }
    }

    /// <summary>Removes a record when the stored ETag is <paramref name="expectedETag"/>; otherwise throws <see cref="InconsistentStateException"/>.</summary>
    public void Clear(string stateName, GrainId grainId, string? expectedETag)
    {
        lock (_lock)
        {
            var current = Read(stateName, grainId);
            if (current is null) return;
            if (current.ETag != expectedETag)
                throw new InconsistentStateException($"State '{stateName}' of {grainId} was written elsewhere", current.ETag, expectedETag);
            _states.TryRemove((stateName, grainId), out _);
        }
    }

    internal async Task<string> WriteFromGrainAsync(string stateName, GrainId grainId, byte[] data, string? expectedETag)
    {
        if (BeforeWrite is { } hook) await hook(stateName, grainId);
        var etag = Write(stateName, grainId, data, expectedETag);
        Interlocked.Add(ref _bytes, data.Length);
        LargestByState.AddOrUpdate(stateName, data.Length, (_, old) => Math.Max(old, data.Length));
        return etag;
    }
}

/// <summary>Orleans grain storage over a <see cref="SharedTestStorage"/>: serializes state with the silo's Orleans
/// <see cref="Serializer"/> and checks ETags, throwing Orleans' <see cref="InconsistentStateException"/> on a conflict.</summary>
public sealed class SharedTestGrainStorage(SharedTestStorage store, Serializer serializer) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (store.Read(stateName, grainId) is { } record)
        {
            grainState.State = serializer.Deserialize<T>(record.Data);
            grainState.ETag = record.ETag;
            grainState.RecordExists = true;
        }
        else
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var bytes = serializer.SerializeToArray(grainState.State);
        grainState.ETag = await store.WriteFromGrainAsync(stateName, grainId, bytes, grainState.ETag);
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        store.Clear(stateName, grainId, grainState.ETag);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }
}

/// <summary>An Orleans reminder table shared by the silos of a test cluster (and across clusters started on the same
/// <see cref="SharedTestStorage"/>), with ETags.</summary>
public sealed class SharedTestReminderTable : IReminderTable
{
    private readonly ConcurrentDictionary<(GrainId Grain, string Name), ReminderEntry> _rows = new();
    private readonly Lock _lock = new();
    private long _etag;

    private static ReminderEntry Copy(ReminderEntry e) => new()
    {
        GrainId = e.GrainId, ReminderName = e.ReminderName, StartAt = e.StartAt, Period = e.Period, ETag = e.ETag,
    };

    public Task Init() => Task.CompletedTask;

    public Task<ReminderTableData> ReadRows(GrainId grainId) =>
        Task.FromResult(new ReminderTableData(_rows.Values.Where(r => r.GrainId == grainId).Select(Copy).ToList()));

    /// <summary>Rows whose grain hash is in (begin, end]; begin >= end wraps around the ring.</summary>
    public Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        bool InRange(uint h) => begin < end ? h > begin && h <= end : begin == end || h > begin || h <= end;
        return Task.FromResult(new ReminderTableData(_rows.Values.Where(r => InRange(r.GrainId.GetUniformHashCode())).Select(Copy).ToList()));
    }

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) => Task.FromResult(Find(grainId, reminderName));

    /// <summary>The row, or null (for tests).</summary>
    public ReminderEntry? Find(GrainId grainId, string reminderName) => _rows.TryGetValue((grainId, reminderName), out var e) ? Copy(e) : null;

    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        lock (_lock)
        {
            var stored = Copy(entry);
            stored.ETag = Interlocked.Increment(ref _etag).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _rows[(entry.GrainId, entry.ReminderName)] = stored;
            return Task.FromResult<string?>(stored.ETag);
        }
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        lock (_lock)
        {
            if (!_rows.TryGetValue((grainId, reminderName), out var e) || e.ETag != eTag) return Task.FromResult(false);
            return Task.FromResult(_rows.TryRemove((grainId, reminderName), out _));
        }
    }

    public Task TestOnlyClearTable()
    {
        _rows.Clear();
        return Task.CompletedTask;
    }
}
