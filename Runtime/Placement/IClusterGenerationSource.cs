namespace Imv.Runtime.Placement;

/// <summary>Issues a number that grows every time a cluster (or a single silo) starts on the same storage.
/// Partition lease epochs start at <c>generation x 2^24</c>, so every epoch of a new incarnation is
/// greater than every epoch written before it: fencing keeps working across restarts, and a stale silo of
/// an older incarnation can never overwrite state. Implemented by the storage providers that fence.</summary>
public interface IClusterGenerationSource
{
    /// <summary>Reserves and returns the next generation (1 on a fresh store). Called once when a cluster or
    /// silo host starts; a short synchronous write.</summary>
    long NextGeneration();
}
