using System.Collections.Concurrent;
using Orleans.Storage;

namespace Imv.Silo.Replay;

/// <summary>The sandbox's grain storage: each grain's state object kept by reference in memory. A sandbox lives for
/// one replay and is thrown away, so nothing needs to reach a disk; its twins write their state after every reading,
/// and serializing it each time (as any durable storage must) was most of the cost of a replay. A state is kept as
/// the object the grain holds (no copy), so a collected and reactivated grain resumes where it was. ETags are a
/// counter per state, checked as a durable storage would: a write with a stale ETag is refused.</summary>
internal sealed class SandboxGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<(string State, GrainId Grain), Stored> _states = new();

    /// <summary>The provider as Orleans' factory delegate wants it.</summary>
    public static IGrainStorage Create(IServiceProvider services, string name) => new SandboxGrainStorage();

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        if (_states.TryGetValue((stateName, grainId), out var stored) && stored.State is T state)
        {
            grainState.State = state;
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var key = (stateName, grainId);
        var current = _states.GetValueOrDefault(key);
        if (current?.ETag != grainState.ETag)
            throw new InconsistentStateException($"Sandbox state '{stateName}' of {grainId}: ETag {grainState.ETag ?? "(none)"} is not the stored {current?.ETag ?? "(none)"}.",
                current?.ETag ?? "", grainState.ETag ?? "");
        var etag = ((current?.Version ?? 0) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _states[key] = new Stored(grainState.State, etag, (current?.Version ?? 0) + 1);
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        _states.TryRemove((stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private sealed record Stored(object? State, string ETag, long Version);
}
