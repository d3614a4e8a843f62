namespace Imv.Runtime;

/// <summary>A grain timer: not durable, lives with the activation. Its callback runs as a turn of the
/// grain (never concurrently with a call unless the grain is reentrant). Dispose to stop it.</summary>
public interface IGrainTimer : IDisposable
{
    /// <summary>Changes when the timer next fires and its period (<see cref="Timeout.InfiniteTimeSpan"/> for one shot).</summary>
    void Change(TimeSpan dueTime, TimeSpan period);
}
