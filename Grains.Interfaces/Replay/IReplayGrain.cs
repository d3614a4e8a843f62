using Imv.Grains.Interfaces.Access;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Replay;

/// <summary>Replays of the plant recording into a sandbox grid (docs/replay.md), for the SDK and <c>imv replay</c>: the
/// same replays as <c>/api/replays</c>. Use the key <see cref="Key"/>: its one activation runs the replays on its silo,
/// from that silo's recording, and answers for them (one replay at a time, the last finished ones kept for their
/// reports).</summary>
public interface IReplayGrain : IGrainWithStringKey
{
    /// <summary>The key of the grain that runs replays.</summary>
    public const string Key = "replays";

    /// <summary>Checks <paramref name="request"/> against the recording and the grid and starts the replay; or says
    /// everything that prevents it (nothing is started then).</summary>
    /// <param name="request">The range, the twins, the speed, the changes.</param>
    /// <param name="requestedBy">Who asks (kept with the replay).</param>
    [ClientRight(Right.Configure, TargetKind.Body, CallerArgument = 1)]
    Task<ReplayStart> StartAsync(ReplayRequest request, string requestedBy);

    /// <summary>A replay as it is now; null when unknown.</summary>
    [ClientRight(Right.Read)]
    [AlwaysInterleave]
    Task<ReplayInfo?> GetAsync(string replayId);

    /// <summary>Asks a running replay to stop (between two entries) and answers it once stopped, or after 10 s still
    /// <see cref="ReplayState.Running"/> while its sandbox stops (follow it with <see cref="GetAsync"/>); null when unknown.</summary>
    [ClientRight(Right.Configure, TargetKind.Body)]
    [AlwaysInterleave]
    Task<ReplayInfo?> StopAsync(string replayId);
}
