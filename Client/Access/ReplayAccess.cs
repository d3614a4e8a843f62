using Imv.Grains.Interfaces.Replay;

namespace Imv.Client.Access;

/// <summary>Replays of the plant recording into a sandbox grid (docs/replay.md), through <see cref="IReplayGrain"/>:
/// start one, follow it, stop it. The replay runs on the silo that holds the replays grain, from its recording.</summary>
public sealed class ReplayAccess
{
    private readonly IGrainFactory _grains;

    internal ReplayAccess(IGrainFactory grains) => _grains = grains;

    private IReplayGrain Grain => _grains.GetGrain<IReplayGrain>(IReplayGrain.Key);

    /// <summary>Starts a replay of <paramref name="request"/>; throws <see cref="ReplayRefusedException"/> naming every
    /// problem when it cannot start (nothing is started then). The replay is requested by the client's avatar (the
    /// API key's): <paramref name="requestedBy"/> may only repeat it.</summary>
    public async Task<ReplayInfo> StartAsync(ReplayRequest request, string? requestedBy = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var start = await Grain.StartAsync(request, requestedBy ?? "").WaitAsync(cancellationToken).ConfigureAwait(false);
        return start.Replay ?? throw new ReplayRefusedException(start.Refusal, start.Message ?? "The replay was refused.");
    }

    /// <summary>A replay as it is now; null when unknown (replays are kept in memory, the last finished ones).</summary>
    public Task<ReplayInfo?> GetAsync(string replayId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(replayId);
        return Grain.GetAsync(replayId).WaitAsync(cancellationToken);
    }

    /// <summary>Stops a running replay between two entries and answers it as it ended (how far it got, the report up to
    /// there), waiting while its sandbox stops; null when unknown. The recording is untouched.</summary>
    public async Task<ReplayInfo?> StopAsync(string replayId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(replayId);
        var info = await Grain.StopAsync(replayId).WaitAsync(cancellationToken).ConfigureAwait(false);
        return info is { State: ReplayState.Running } ? await WaitAsync(replayId, TimeSpan.FromMilliseconds(500), null, cancellationToken).ConfigureAwait(false) : info;
    }

    /// <summary>Polls the replay every <paramref name="interval"/> until it is no longer running, reporting each answer
    /// to <paramref name="progress"/>; returns the last answer. Cancelling stops waiting, not the replay.</summary>
    public async Task<ReplayInfo> WaitAsync(string replayId, TimeSpan interval, Action<ReplayInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var info = await GetAsync(replayId, cancellationToken).ConfigureAwait(false)
                ?? throw new ReplayRefusedException(ReplayRefusal.Unknown, $"Unknown replay '{replayId}'.");
            progress?.Invoke(info);
            if (info.State != ReplayState.Running) return info;
            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }
    }
}
