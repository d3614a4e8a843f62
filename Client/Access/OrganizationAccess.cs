using Imv.Client.Connection;
using Imv.Client.Watching;
using Imv.Grains.Interfaces.Organizations;
using Microsoft.Extensions.Logging;

namespace Imv.Client.Access;

/// <summary>The organization tree (<see cref="IVirtualOrganizationGrain"/>) and its live aggregates.</summary>
public sealed class OrganizationAccess
{
    private readonly IGrainFactory _grains;
    private readonly ImvClientOptions _options;
    private readonly ILogger _logger;

    internal OrganizationAccess(IGrainFactory grains, ImvClientOptions options, ILogger logger)
    {
        _grains = grains;
        _options = options;
        _logger = logger;
    }

    /// <summary>The organization's grain.</summary>
    public IVirtualOrganizationGrain Grain(string organizationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(organizationId);
        return _grains.GetGrain<IVirtualOrganizationGrain>(organizationId);
    }

    /// <summary>The organization; null when it does not exist.</summary>
    public async Task<OrganizationInfo?> GetAsync(string organizationId, CancellationToken cancellationToken = default)
    {
        var info = await Grain(organizationId).GetInfoAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return OrganizationWalk.Exists(info) ? info : null;
    }

    /// <summary>The live aggregate.</summary>
    public Task<OrganizationAggregate> GetAggregateAsync(string organizationId, CancellationToken cancellationToken = default) =>
        Grain(organizationId).GetAggregateAsync().WaitAsync(cancellationToken);

    /// <summary>The tree below <paramref name="rootId"/> (the options' root organization when null) with every
    /// aggregate; null when the organization does not exist.</summary>
    public async Task<OrganizationNode?> TreeAsync(string? rootId = null, CancellationToken cancellationToken = default)
    {
        rootId ??= _options.RootOrganization;
        var (orgs, _) = await OrganizationWalk.DescendantsAsync(_grains, rootId, cancellationToken).ConfigureAwait(false);
        if (orgs.Count == 0) return null;
        var aggregates = new Dictionary<string, OrganizationAggregate>(StringComparer.Ordinal);
        var read = await Task.WhenAll(orgs.Keys.Select(async id => (id, await _grains.GetGrain<IVirtualOrganizationGrain>(id).GetAggregateAsync().ConfigureAwait(false))))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (id, a) in read) aggregates[id] = a;
        OrganizationNode Build(string id) => new(orgs[id], aggregates[id],
            [.. orgs[id].ChildOrganizations.Where(orgs.ContainsKey).Order(StringComparer.Ordinal).Select(Build)]);
        return Build(rootId);
    }

    /// <summary>Subscribes to the organization's aggregate: <see cref="WatchEventKind.Started"/> with the aggregate, then every new one.</summary>
    public async Task<OrganizationSubscription> WatchAsync(string organizationId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(organizationId);
        var subscription = new OrganizationSubscription(_grains, organizationId, _options.RenewInterval, _logger);
        try
        {
            await subscription.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return subscription;
    }
}
