using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Silo.Replay;

/// <summary>What a replay needs to know of the grid it replays (the silo reads its grains; the bench its simulated plant).</summary>
public interface IReplaySource
{
    /// <summary>Every twin of the grid.</summary>
    IReadOnlyList<string> AllTwins();

    /// <summary>The twins of an organization and every organization below it; null when the organization does not exist.</summary>
    Task<IReadOnlyCollection<string>?> OrganizationTwinsAsync(string organizationId, CancellationToken cancellationToken);

    /// <summary>A twin's configuration (with its tags); null when the twin does not exist.</summary>
    Task<TwinConfiguration?> TwinAsync(string twinId, CancellationToken cancellationToken);

    /// <summary>A loop's configuration and whether it is enabled; null when the loop does not exist.</summary>
    Task<(ControlLoopConfiguration Configuration, bool Enabled)?> LoopAsync(string loopId, CancellationToken cancellationToken);

    /// <summary>Whether the recording holds anything of <paramref name="twinId"/> in [from, to).</summary>
    bool HasRecorded(string twinId, DateTimeOffset from, DateTimeOffset to);
}
