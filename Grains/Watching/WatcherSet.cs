using Imv.Grains.Interfaces.Watching;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Utilities;

namespace Imv.Grains.Watching;

/// <summary>The watchers of one grain activation (Orleans' <see cref="ObserverManager{TObserver}"/>, expiring those
/// not renewed) and the activation's feed position: a random epoch and a sequence counting the changes published.
/// The sequence only moves while someone watches, so an unwatched grain pays one branch per change.</summary>
internal sealed class WatcherSet<TObserver> where TObserver : IGrainObserver
{
    private readonly ObserverManager<TObserver> _observers;

    public WatcherSet(ILogger logger)
    {
        _observers = new ObserverManager<TObserver>(WatchLimits.Expiry, logger);
        long epoch;
        do { epoch = Random.Shared.NextInt64(1, long.MaxValue); } while (epoch == 0);
        Epoch = epoch;
    }

    /// <summary>The activation's epoch.</summary>
    public long Epoch { get; }

    /// <summary>The last published change's sequence.</summary>
    public long Sequence { get; private set; }

    /// <summary>Whether anyone watches.</summary>
    public bool Any => _observers.Count > 0;

    /// <summary>The current position.</summary>
    public WatchPosition Position => new(Epoch, Sequence);

    /// <summary>Adds or renews a watcher.</summary>
    public void Watch(TObserver observer) => _observers.Subscribe(observer, observer);

    /// <summary>Removes a watcher.</summary>
    public void Unwatch(TObserver observer) => _observers.Unsubscribe(observer);

    /// <summary>Publishes the next change (built from its position) to every watcher; expired watchers are dropped.</summary>
    public void Publish<TChange>(Func<WatchPosition, TChange> build, Action<TObserver, TChange> send)
    {
        if (!Any) return;
        Sequence++;
        var change = build(Position);
        _observers.Notify(o => send(o, change));
    }
}
