using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Watching;

/// <summary>Receives a twin's changes (an Orleans grain observer: a client or silo object made into a reference with
/// <c>IGrainFactory.CreateObjectReference</c>, registered with <see cref="Twins.IMachineGrain.WatchAsync"/>).</summary>
public interface ITwinObserver : IGrainObserver
{
    /// <summary>One change of the twin. One-way: a slow or vanished watcher never holds the twin up.</summary>
    [OneWay]
    Task OnTwinChangedAsync(TwinChange change);
}
