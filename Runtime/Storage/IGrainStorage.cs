namespace Imv.Runtime.Storage;

/// <summary>A storage provider for grain state: opaque bytes per (state name, grain id), guarded by an
/// ETag (optimistic concurrency) and a fencing epoch (a silo that lost a partition cannot overwrite newer state).</summary>
public interface IGrainStorage
{
    /// <summary>Reads a record; null when none is stored.</summary>
    Task<GrainStateRecord?> ReadAsync(string stateName, GrainId grainId, CancellationToken cancellationToken);

    /// <summary>Writes a record and returns its new ETag. <paramref name="expectedETag"/> is the ETag the
    /// writer read (null: the writer believes no record exists). Throws <see cref="InconsistentStateException"/>
    /// and changes nothing when the stored ETag differs, or when the stored epoch is greater than
    /// <paramref name="fencingEpoch"/>.</summary>
    Task<string> WriteAsync(string stateName, GrainId grainId, ReadOnlyMemory<byte> data, string? expectedETag, long fencingEpoch, CancellationToken cancellationToken);

    /// <summary>Deletes a record under the same rules as <see cref="WriteAsync"/>.</summary>
    Task ClearAsync(string stateName, GrainId grainId, string? expectedETag, long fencingEpoch, CancellationToken cancellationToken);
}

/// <summary>A stored state record.</summary>
/// <param name="Data">The encoded state.</param>
/// <param name="ETag">The record's version.</param>
/// <param name="Epoch">The fencing epoch of the last write.</param>
public sealed record GrainStateRecord(byte[] Data, string ETag, long Epoch);
