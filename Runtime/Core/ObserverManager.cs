using Microsoft.Extensions.Logging;

namespace Imv.Runtime;

/// <summary>Keeps a grain's subscribed observers with an expiry, and notifies them all: an observer that
/// fails or is not renewed within <see cref="ExpirationDuration"/> is dropped (clients re-subscribe
/// periodically, as with Orleans' ObserverManager).</summary>
/// <typeparam name="TObserver">The observer interface.</typeparam>
public sealed class ObserverManager<TObserver>(TimeSpan expirationDuration, ILogger logger) where TObserver : IGrainObserver
{
    private readonly Dictionary<TObserver, DateTime> _observers = [];

    /// <summary>How long a subscription lasts without renewal.</summary>
    public TimeSpan ExpirationDuration { get; } = expirationDuration;

    /// <summary>The number of current subscriptions.</summary>
    public int Count => _observers.Count;

    /// <summary>Adds or renews a subscription.</summary>
    public void Subscribe(TObserver observer) => _observers[observer] = DateTime.UtcNow;

    /// <summary>Removes a subscription.</summary>
    public void Unsubscribe(TObserver observer) => _observers.Remove(observer);

    /// <summary>Calls every live observer; expired and failing ones are removed and logged.</summary>
    public async Task NotifyAsync(Func<TObserver, Task> notification)
    {
        var now = DateTime.UtcNow;
        List<TObserver>? defunct = null;
        foreach (var (observer, subscribed) in _observers.ToArray())
        {
            if (now - subscribed > ExpirationDuration)
            {
                (defunct ??= []).Add(observer);
                continue;
            }
            try
            {
                await notification(observer).ConfigureAwait(true);
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Observer {Observer} failed and was removed", observer);
                (defunct ??= []).Add(observer);
            }
        }
        if (defunct is not null) foreach (var o in defunct) _observers.Remove(o);
    }
}
