namespace Imv.Runtime.Storage;

/// <summary>A state write was refused because the stored record is newer than the one the writer read
/// (its ETag changed) or because the writer's fencing epoch is older than the stored one.</summary>
public sealed class InconsistentStateException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InconsistentStateException(string message, string? storedETag, string? currentETag) : base(message)
    {
        StoredETag = storedETag;
        CurrentETag = currentETag;
    }

    /// <summary>The ETag in storage at the time of the write.</summary>
    public string? StoredETag { get; }

    /// <summary>The ETag the writer held.</summary>
    public string? CurrentETag { get; }
}
