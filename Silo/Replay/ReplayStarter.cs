using Imv.Grains.Interfaces.Replay;
using Imv.Persistence.Recording;
using Imv.Silo.Directory;

namespace Imv.Silo.Replay;

/// <summary>Starts a replay on this silo, for the HTTP API and <see cref="IReplayGrain"/> alike (the caller's rights are
/// checked before, by the caller): the recording flushed so that what the twins accepted up to now is in the file, the
/// request planned against the grid (every problem at once, nothing started), then one replay at a time.</summary>
public sealed class ReplayStarter(ReplayService replays, IGrainFactory grains, TwinDirectory directory, IServiceProvider services)
{
    /// <summary>The replays of this silo.</summary>
    public ReplayService Replays => replays;

    /// <summary>Starts <paramref name="request"/>: the run, or why not (<see cref="ReplayRefusal"/>, a message naming
    /// every problem, the planner's problems with their HTTP status).</summary>
    public async Task<(ReplayRun? Run, ReplayRefusal Refusal, string? Message, IReadOnlyList<ReplayProblem> Problems)> StartAsync(
        ReplayRequest request, string requestedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (services.GetService<IRecordingReader>() is not { } recorder)
            return (null, ReplayRefusal.RecordingOff, "Nothing is recorded on this silo: the plant recording is off (Recording:Enabled=false).", []);
        if (replays.Running is { } busy) return Busy(busy.Id);
        await recorder.FlushAsync(cancellationToken).ConfigureAwait(false);
        await SettleAsync(request.To, cancellationToken).ConfigureAwait(false);
        var recording = recorder.OpenForReplay();
        var (plan, problems) = await ReplayPlanner.PlanAsync(request, new GridReplaySource(grains, directory, recording), cancellationToken).ConfigureAwait(false);
        if (plan is null)
        {
            var refusal = problems.Any(p => p.Status == 404) ? ReplayRefusal.Unknown : problems.Any(p => p.Status == 400) ? ReplayRefusal.Invalid : ReplayRefusal.NothingRecorded;
            return (null, refusal, "The replay cannot start: " + string.Join(" ", problems.Select(p => p.Message)), problems);
        }
        if (replays.TryStart(plan, requestedBy, recording, recorder) is not { } run)
            return (null, ReplayRefusal.Busy, "Another replay started meanwhile; one replay runs at a time.", []);
        return (run, ReplayRefusal.None, null, []);
    }

    /// <summary>The flush above covers this silo's twins only: the other silos sharing the recording (PostgreSQL) commit
    /// what their twins accepted within their flush interval. A range ending less than two intervals ago waits until then
    /// (at most 10 s), so it is read whole.</summary>
    private async Task SettleAsync(DateTimeOffset? to, CancellationToken cancellationToken)
    {
        if (to is not { } end || services.GetService<RecordingOptions>() is not { } options) return;
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var wait = end + 2 * options.FlushInterval - time.GetUtcNow();
        if (wait > TimeSpan.Zero) await Task.Delay(wait < TimeSpan.FromSeconds(10) ? wait : TimeSpan.FromSeconds(10), time, cancellationToken).ConfigureAwait(false);
    }

    private static (ReplayRun?, ReplayRefusal, string?, IReadOnlyList<ReplayProblem>) Busy(string id) =>
        (null, ReplayRefusal.Busy, $"Replay '{id}' is running; one replay runs at a time (stop it with DELETE /api/replays/{id} or imv replay stop {id}).", []);
}
