using System.Globalization;

namespace Imv.Runtime.Storage;

/// <summary>Grain state in memory, for tests and single-process runs. Thread-safe. ETags are per-record
/// version numbers ("1", "2", ...); a clear keeps a tombstone with the next version and the clearing epoch,
/// so versions are never reused and a silo with an older epoch cannot recreate the record. Reads and writes
/// copy the bytes, so callers never share a buffer with the store.</summary>
public sealed class MemoryGrainStorage : IGrainStorage, Placement.IClusterGenerationSource
{
    private long _generation;

    /// <inheritdoc />
    public long NextGeneration() => Interlocked.Increment(ref _generation);

    private readonly Dictionary<(string StateName, GrainId GrainId), Entry> _entries = [];
    private readonly Lock _gate = new();

    /// <summary>The number of live (not cleared) records.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                int n = 0;
                foreach (var entry in _entries.Values) if (entry.Data is not null) n++;
                return n;
            }
        }
    }

    /// <inheritdoc />
    public Task<GrainStateRecord?> ReadAsync(string stateName, GrainId grainId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!_entries.TryGetValue((stateName, grainId), out var entry) || entry.Data is null)
                return Task.FromResult<GrainStateRecord?>(null);
            return Task.FromResult<GrainStateRecord?>(new GrainStateRecord((byte[])entry.Data.Clone(), ETagOf(entry.Version), entry.Epoch));
        }
    }

    /// <inheritdoc />
    public Task<string> WriteAsync(string stateName, GrainId grainId, ReadOnlyMemory<byte> data, string? expectedETag, long fencingEpoch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        cancellationToken.ThrowIfCancellationRequested();
        var copy = data.ToArray();
        lock (_gate)
        {
            if (!TryCheck("Write", stateName, grainId, expectedETag, fencingEpoch, out long version, out var refusal))
                return Task.FromException<string>(refusal);
            _entries[(stateName, grainId)] = new Entry(copy, version + 1, fencingEpoch);
            return Task.FromResult(ETagOf(version + 1));
        }
    }

    /// <inheritdoc />
    public Task ClearAsync(string stateName, GrainId grainId, string? expectedETag, long fencingEpoch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (!TryCheck("Clear", stateName, grainId, expectedETag, fencingEpoch, out long version, out var refusal))
                return Task.FromException(refusal);
            _entries[(stateName, grainId)] = new Entry(null, version + 1, fencingEpoch);
            return Task.CompletedTask;
        }
    }

    /// <summary>Checks the ETag and epoch under the lock: the stored version (0 when none), or the refusal
    /// (returned as a faulted task, never thrown synchronously).</summary>
    private bool TryCheck(string what, string stateName, GrainId grainId, string? expectedETag, long fencingEpoch, out long version,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out InconsistentStateException? refusal)
    {
        version = 0;
        refusal = null;
        try
        {
            version = Check(what, stateName, grainId, expectedETag, fencingEpoch);
            return true;
        }
        catch (InconsistentStateException e)
        {
            refusal = e;
            return false;
        }
    }

    private long Check(string what, string stateName, GrainId grainId, string? expectedETag, long fencingEpoch)
    {
        if (!_entries.TryGetValue((stateName, grainId), out var entry))
        {
            if (expectedETag is null) return 0;
            throw new InconsistentStateException(
                $"{what} of state '{stateName}' of grain {grainId} refused: no record is stored, writer's ETag '{expectedETag}'.", null, expectedETag);
        }
        string storedETag = ETagOf(entry.Version);
        bool live = entry.Data is not null;
        bool matches = expectedETag is null ? !live : string.Equals(expectedETag, storedETag, StringComparison.Ordinal);
        if (!matches)
            throw new InconsistentStateException(
                $"{what} of state '{stateName}' of grain {grainId} refused: stored ETag {(live ? "'" + storedETag + "'" : "(none)")}, writer's ETag {(expectedETag is null ? "(none)" : "'" + expectedETag + "'")}.",
                live ? storedETag : null, expectedETag);
        if (entry.Epoch > fencingEpoch)
            throw new InconsistentStateException(
                $"{what} of state '{stateName}' of grain {grainId} refused: stored epoch {entry.Epoch} is newer than the writer's epoch {fencingEpoch}.",
                live ? storedETag : null, expectedETag);
        return entry.Version;
    }

    private static string ETagOf(long version) => version.ToString(CultureInfo.InvariantCulture);

    private sealed record Entry(byte[]? Data, long Version, long Epoch);
}
