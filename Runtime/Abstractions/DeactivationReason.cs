namespace Imv.Runtime;

/// <summary>Why an activation is deactivated.</summary>
public enum DeactivationReasonCode
{
    /// <summary>No reason given.</summary>
    None,
    /// <summary>It was idle longer than the collection age.</summary>
    IdleTimeout,
    /// <summary>The grain asked with DeactivateOnIdle.</summary>
    ApplicationRequested,
    /// <summary>Memory pressure or the activation-count limit.</summary>
    ActivationLimit,
    /// <summary>The silo is shutting down.</summary>
    ShuttingDown,
    /// <summary>Its partition moved to another silo.</summary>
    PartitionMoved,
    /// <summary>Activation failed.</summary>
    ActivationFailed,
}

/// <summary>Why an activation is deactivated, with a description for logs.</summary>
/// <param name="ReasonCode">The reason.</param>
/// <param name="Description">Details.</param>
public readonly record struct DeactivationReason(DeactivationReasonCode ReasonCode, string Description);
