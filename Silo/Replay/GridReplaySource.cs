using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;
using Imv.Persistence.Recording;
using Imv.Silo.Api;
using Imv.Silo.Directory;

namespace Imv.Silo.Replay;

/// <summary>The silo's grid as a replay's source: twins from the twin directory and their grains, organizations'
/// subtrees, loops' grains, and the plant recording.</summary>
public sealed class GridReplaySource(IGrainFactory grains, TwinDirectory directory, IReplayRecording recording) : IReplaySource
{
    /// <inheritdoc />
    public IReadOnlyList<string> AllTwins() => [.. directory.All().Select(e => e.TwinId)];

    /// <inheritdoc />
    public async Task<IReadOnlyCollection<string>?> OrganizationTwinsAsync(string organizationId, CancellationToken cancellationToken)
    {
        var (organizations, machines) = await OrganizationTree.DescendantsAsync(grains, organizationId).ConfigureAwait(false);
        return organizations is null ? null : machines.Order(StringComparer.Ordinal).ToList();
    }

    /// <inheritdoc />
    public Task<TwinConfiguration?> TwinAsync(string twinId, CancellationToken cancellationToken) => TwinEndpoints.FindTwinAsync(grains, twinId);

    /// <inheritdoc />
    public async Task<(ControlLoopConfiguration Configuration, bool Enabled)?> LoopAsync(string loopId, CancellationToken cancellationToken)
    {
        var status = await grains.GetGrain<IControlLoopGrain>(loopId).GetStatusAsync().ConfigureAwait(false);
        return status.Configuration is { } c ? (c, status.Enabled) : null;
    }

    /// <inheritdoc />
    public bool HasRecorded(string twinId, DateTimeOffset from, DateTimeOffset to) => recording.HasEntries(twinId, from, to);
}
