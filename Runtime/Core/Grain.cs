using Imv.Runtime.Streams;

namespace Imv.Runtime;

/// <summary>Base class of grain implementations. The runtime creates one instance per activation through
/// the host's dependency injection container (constructor injection), so a grain may ask for services and
/// for <see cref="IPersistentState{TState}"/> parameters marked <see cref="PersistentStateAttribute"/>.</summary>
public abstract class Grain
{
    /// <summary>Binds the grain to the activation being created; the runtime constructs grains only while
    /// an activation is being created.</summary>
    protected Grain()
    {
        GrainContext = RuntimeContext.ActivatingContext
            ?? throw new InvalidOperationException($"{GetType().FullName} was constructed outside the runtime; grains are created by the silo on their first call.");
    }

    /// <summary>The activation hosting this grain.</summary>
    public IGrainContext GrainContext { get; }

    /// <summary>The grain's identity.</summary>
    public GrainId GrainId => GrainContext.GrainId;

    /// <summary>Creates references to other grains.</summary>
    protected IGrainFactory GrainFactory => GrainContext.GrainFactory;

    /// <summary>The silo's services.</summary>
    protected IServiceProvider ServiceProvider => GrainContext.ServiceProvider;

    /// <summary>Runs after the grain's persistent state was read, before its first call.</summary>
    public virtual Task OnActivateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs before the activation is dropped (idle, shutdown, partition moved). Flush state here.</summary>
    public virtual Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Deactivates this grain when the current call completes.</summary>
    protected void DeactivateOnIdle() => GrainContext.DeactivateOnIdle();

    /// <summary>Starts a grain timer whose callback runs as a turn of this grain. Not durable.</summary>
    /// <param name="callback">What to run.</param>
    /// <param name="dueTime">Delay before the first tick.</param>
    /// <param name="period">Time between ticks; <see cref="Timeout.InfiniteTimeSpan"/> for one tick.</param>
    /// <param name="interleave">True lets ticks interleave with calls (like a reentrant method).</param>
    protected IGrainTimer RegisterGrainTimer(Func<CancellationToken, Task> callback, TimeSpan dueTime, TimeSpan period, bool interleave = false)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return GrainContext.RegisterTimer(static (s, ct) => ((Func<CancellationToken, Task>)s!)(ct), callback, dueTime, period, interleave);
    }

    /// <summary>Starts a grain timer with a state argument.</summary>
    protected IGrainTimer RegisterGrainTimer<TState>(Func<TState, CancellationToken, Task> callback, TState state, TimeSpan dueTime, TimeSpan period, bool interleave = false)
    {
        ArgumentNullException.ThrowIfNull(callback);
        return GrainContext.RegisterTimer((s, ct) => callback((TState)s!, ct), state, dueTime, period, interleave);
    }

    /// <summary>Registers or updates a durable reminder; the grain must implement <see cref="IRemindable"/>.</summary>
    protected Task<IGrainReminder> RegisterOrUpdateReminder(string reminderName, TimeSpan dueTime, TimeSpan period, CancellationToken cancellationToken = default)
        => this is IRemindable
            ? GrainContext.RegisterOrUpdateReminderAsync(reminderName, dueTime, period, cancellationToken)
            : throw new InvalidOperationException($"{GetType().FullName} registers reminder '{reminderName}' but does not implement IRemindable.");

    /// <summary>Removes a durable reminder.</summary>
    protected Task UnregisterReminder(IGrainReminder reminder, CancellationToken cancellationToken = default)
        => GrainContext.UnregisterReminderAsync(reminder, cancellationToken);

    /// <summary>A registered reminder by name; null when none.</summary>
    protected Task<IGrainReminder?> GetReminder(string reminderName, CancellationToken cancellationToken = default)
        => GrainContext.GetReminderAsync(reminderName, cancellationToken);

    /// <summary>A named stream provider.</summary>
    protected IStreamProvider GetStreamProvider(string name) => GrainContext.GetStreamProvider(name);
}
