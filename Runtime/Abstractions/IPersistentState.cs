namespace Imv.Runtime;

/// <summary>A grain's persistent state of type <typeparamref name="TState"/>, injected into the grain's
/// constructor by <see cref="PersistentStateAttribute"/> and read before OnActivateAsync.</summary>
/// <typeparam name="TState">A <see cref="GenerateSerializerAttribute"/> type with a parameterless constructor.</typeparam>
public interface IPersistentState<TState> where TState : new()
{
    /// <summary>The current state (a new instance when none is stored).</summary>
    TState State { get; set; }

    /// <summary>The version of the stored record this state was read from or written as; null when none.</summary>
    string? ETag { get; }

    /// <summary>True when a record is stored.</summary>
    bool RecordExists { get; }

    /// <summary>Reads the stored record again, replacing <see cref="State"/>.</summary>
    Task ReadStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes <see cref="State"/>. Throws <see cref="Storage.InconsistentStateException"/> and stores
    /// nothing when the stored record changed since it was read (stale ETag), or when this silo no longer
    /// owns the grain's partition (stale fencing epoch).</summary>
    Task WriteStateAsync(CancellationToken cancellationToken = default);

    /// <summary>Deletes the stored record and resets <see cref="State"/>; same ETag rules as a write.</summary>
    Task ClearStateAsync(CancellationToken cancellationToken = default);
}
