using Imv.Gateways.Twins;
using Imv.Grains.Interfaces.Organizations;
using Imv.Silo.Hosting;
using Imv.Silo.Directory;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Imv.Silo.Summary;

/// <summary>Computes the <see cref="GridSummary"/>: the router's counters, the silo's counters and the enterprise aggregate.</summary>
public sealed class GridSummarySource(
    TwinTelemetryRouter router, GridCounters counters, TwinListing listing, GridCatalog catalog, SiloInfo silo,
    IGrainFactory grains, IServer server)
{
    private readonly long _started = TimeProvider.System.GetTimestamp();
    private readonly Lock _lock = new();
    private long _lastApplied;
    private long _lastTimestamp = TimeProvider.System.GetTimestamp();
    private double _lastRate;

    /// <summary>The figures now. The rate is over the time since the previous call (at least 0.5 s apart, else the previous rate).</summary>
    public async Task<GridSummary> GetAsync()
    {
        var stats = router.Statistics;
        double rate;
        lock (_lock)
        {
            var now = TimeProvider.System.GetTimestamp();
            var elapsed = TimeProvider.System.GetElapsedTime(_lastTimestamp, now);
            if (elapsed >= TimeSpan.FromSeconds(0.5))
            {
                _lastRate = (stats.Applied - _lastApplied) / elapsed.TotalSeconds;
                _lastApplied = stats.Applied;
                _lastTimestamp = now;
            }
            rate = _lastRate;
        }
        var aggregate = catalog.EnterpriseId is { } enterprise
            ? await grains.GetGrain<IVirtualOrganizationGrain>(enterprise).GetAggregateAsync().ConfigureAwait(false)
            : OrganizationAggregate.Empty;
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        // Twins known over the whole grid (the twin status index), the same through any silo of a cluster.
        var known = await listing.CountAsync().ConfigureAwait(false);
        return new GridSummary(DateTimeOffset.UtcNow, TimeProvider.System.GetElapsedTime(_started), known,
            aggregate.MachineCount - aggregate.Offline - aggregate.Unknown, aggregate.Running, aggregate.Faulted, aggregate.ActiveAlarms,
            aggregate.Oee, rate, stats.Applied, counters.CommandsApplied, counters.CommandsRejected, await silo.GetActivationCountAsync().ConfigureAwait(false),
            silo.DataFile, addresses);
    }
}
