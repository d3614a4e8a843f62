using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Watching;

/// <summary>Receives an organization's new aggregates (registered with
/// <see cref="Organizations.IVirtualOrganizationGrain.WatchAsync"/>).</summary>
public interface IOrganizationObserver : IGrainObserver
{
    /// <summary>The organization's aggregate changed. One-way.</summary>
    [OneWay]
    Task OnOrganizationChangedAsync(OrganizationChange change);
}
