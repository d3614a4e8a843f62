using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Watching;
using Microsoft.Extensions.Logging;

namespace Imv.Client.Watching;

/// <summary>A live subscription to an organization's aggregate.</summary>
public sealed class OrganizationSubscription : LiveSubscription<OrganizationAggregate, OrganizationChange>
{
    private readonly IGrainFactory _grains;
    private readonly Observer _observer;
    private readonly IOrganizationObserver _reference;

    internal OrganizationSubscription(IGrainFactory grains, string organizationId, TimeSpan renewInterval, ILogger logger) : base(organizationId, renewInterval, logger)
    {
        _grains = grains;
        _observer = new Observer(this);
        _reference = grains.CreateObjectReference<IOrganizationObserver>(_observer);
    }

    /// <inheritdoc />
    protected override async Task<(WatchPosition Position, OrganizationAggregate State)> WatchAsync()
    {
        var watch = await _grains.GetGrain<IVirtualOrganizationGrain>(Key).WatchAsync(_reference).ConfigureAwait(false);
        return (watch.Position, watch.Aggregate);
    }

    /// <inheritdoc />
    protected override Task UnwatchAsync() => _grains.GetGrain<IVirtualOrganizationGrain>(Key).UnwatchAsync(_reference);

    /// <inheritdoc />
    protected override void ReleaseObserver() => _grains.DeleteObjectReference<IOrganizationObserver>(_reference);

    private sealed class Observer(OrganizationSubscription owner) : IOrganizationObserver
    {
        public Task OnOrganizationChangedAsync(OrganizationChange change)
        {
            owner.OnChange(change.Position, change);
            return Task.CompletedTask;
        }
    }
}
