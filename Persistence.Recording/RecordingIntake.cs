using System.Collections.Concurrent;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;

namespace Imv.Persistence.Recording;

/// <summary>A recorder's side that runs on the twins' turns, whatever stores the recording: readings and command
/// transitions encoded and queued, never blocking; an entry the full (or stopped) queue refuses is counted and logged
/// at most once per 10 s with how many were dropped since.</summary>
/// <remarks>Entries are queued with the twin's <see cref="RecordedTwin"/> (one per twin, found by id here, kept for the
/// recorder's life as the writer's per-twin minutes are).</remarks>
internal sealed class RecordingIntake(RecordingQueue queue, TagSchemas schemas, int capacity, string location, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan DropLogInterval = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, RecordedTwin> _twins = new(StringComparer.Ordinal);
    private long _enqueued, _dropped, _droppedUnlogged, _lastDropLogTicks;
    private int _schemasFullLogged;

    /// <summary>For measurements: while true, nothing is recorded (nothing queued, nothing counted as dropped).</summary>
    public bool Paused { get; set; }

    /// <summary>Entries queued.</summary>
    public long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>Entries dropped because the queue was full or the recorder stopped.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Readings a twin accepted (see <see cref="Grains.Interfaces.Recording.ITwinRecorder.RecordReadings"/>).</summary>
    public void RecordReadings(string twinId, DateTimeOffset receivedAt, ReadOnlySpan<TagUpdate> updates, ReadOnlySpan<bool> accepted)
    {
        if (Paused || updates.IsEmpty) return;
        int n = updates.Length;
        if (!accepted.IsEmpty)
        {
            n = 0;
            for (int i = 0; i < updates.Length; i++) if (accepted[i]) n++;
            if (n == 0) return;
        }
        var twin = Twin(twinId);
        var encoder = EntryEncoder.Current;
        encoder.EncodeReadings(updates, accepted, n, receivedAt.UtcTicks, twin, schemas);
        if (schemas.IsFull && Interlocked.Exchange(ref _schemasFullLogged, 1) == 0)
            logger.LogWarning("Recording {Location}: the tag schemas hold {Names} names (or {Schemas} schemas); twin {TwinId} and any other whose tags are not all in its schema spell their names from now on (larger entries, nothing lost). Twins whose tag names keep changing make a schema per new name",
                location, TagSchemas.MaxNamesKept, TagSchemas.MaxSchemas, twinId);
        Enqueue(twin, receivedAt.UtcTicks, RecordingCodec.ReadingsKind, n, encoder.Written);
        encoder.Release();
    }

    /// <summary>A command's transition (see <see cref="Grains.Interfaces.Recording.ITwinRecorder.RecordCommand"/>).</summary>
    public void RecordCommand(string twinId, CommandRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (Paused) return;
        var at = record.Transitions.Count > 0 ? record.Transitions[^1].At : time.GetUtcNow();
        // Commands are few (a handful per reading batch at most): encoded the plain way.
        using var buffer = new MemoryStream();
        using (var w = RecordingCodec.Writer(buffer)) RecordingCodec.WriteCommand(w, record);
        Enqueue(Twin(twinId), at.UtcTicks, RecordingCodec.CommandKind, 0, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    private RecordedTwin Twin(string twinId) => _twins.GetOrAdd(twinId, static id => new RecordedTwin(id));

    private void Enqueue(RecordedTwin twin, long ticks, int kind, int readings, ReadOnlySpan<byte> data)
    {
        if (queue.TryAdd(twin, ticks, kind, readings, data)) { Interlocked.Increment(ref _enqueued); return; }
        Interlocked.Increment(ref _dropped);
        Interlocked.Increment(ref _droppedUnlogged);
        long now = time.GetUtcNow().UtcTicks, last = Interlocked.Read(ref _lastDropLogTicks);
        if (now - last < DropLogInterval.Ticks || Interlocked.CompareExchange(ref _lastDropLogTicks, now, last) != last) return;
        logger.LogWarning("Recording {Location}: dropped {Dropped} entries (twin {TwinId} the latest) because the queue of {Capacity} was full or the recorder stopped; {Total} dropped in all",
            location, Interlocked.Exchange(ref _droppedUnlogged, 0), twin.Id, capacity, Dropped);
    }
}
