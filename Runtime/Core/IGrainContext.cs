using Imv.Runtime.Streams;

namespace Imv.Runtime;

/// <summary>What an activation offers the grain object it hosts. The runtime's activation implements it.</summary>
public interface IGrainContext
{
    /// <summary>The grain's identity.</summary>
    GrainId GrainId { get; }

    /// <summary>Creates references to other grains.</summary>
    IGrainFactory GrainFactory { get; }

    /// <summary>The silo's services.</summary>
    IServiceProvider ServiceProvider { get; }

    /// <summary>Deactivates the grain once the current call completes.</summary>
    void DeactivateOnIdle();

    /// <summary>Registers a grain timer whose callback runs as a turn of this activation.</summary>
    IGrainTimer RegisterTimer(Func<object?, CancellationToken, Task> callback, object? state, TimeSpan dueTime, TimeSpan period, bool interleave);

    /// <summary>Registers or updates a durable reminder.</summary>
    Task<IGrainReminder> RegisterOrUpdateReminderAsync(string reminderName, TimeSpan dueTime, TimeSpan period, CancellationToken cancellationToken);

    /// <summary>Removes a durable reminder.</summary>
    Task UnregisterReminderAsync(IGrainReminder reminder, CancellationToken cancellationToken);

    /// <summary>A registered reminder by name; null when none.</summary>
    Task<IGrainReminder?> GetReminderAsync(string reminderName, CancellationToken cancellationToken);

    /// <summary>A named stream provider.</summary>
    IStreamProvider GetStreamProvider(string name);
}
