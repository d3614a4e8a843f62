using System.Text.Json;
using Imv.Grains.Interfaces.Replay;
using Microsoft.Extensions.Options;

namespace Imv.Silo.Replay;

/// <summary><see cref="IReplayGrain"/>: the SDK's way to this silo's replays (<see cref="ReplayService"/>, the same the
/// HTTP API starts and shows). A caller of the SDK is trusted as the silo trusts it for every other call (a client of
/// the cluster's gateway); the HTTP API checks rights before it reaches <see cref="ReplayStarter"/>. The activation stays
/// for a day once it started a replay, so that the replays it knows are answered by the silo that runs them.</summary>
internal sealed class ReplayGrain(ReplayStarter starter, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : Grain, IReplayGrain
{
    private static readonly TimeSpan KeepFor = TimeSpan.FromDays(1);
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    public async Task<ReplayStart> StartAsync(ReplayRequest request, string requestedBy)
    {
        ArgumentNullException.ThrowIfNull(request);
        // Planning reads the recording (blocking SQLite reads): on the thread pool, not on the grain's scheduler.
        var (run, refusal, message, _) = await Task.Run(() => starter.StartAsync(request, string.IsNullOrWhiteSpace(requestedBy) ? "sdk" : requestedBy, CancellationToken.None));
        if (run is null) return new ReplayStart(null, refusal, message);
        DelayDeactivation(KeepFor);
        return new ReplayStart(Info(run), ReplayRefusal.None, null);
    }

    /// <inheritdoc />
    public Task<ReplayInfo?> GetAsync(string replayId) =>
        Task.FromResult(starter.Replays.Find(replayId) is { } run ? Info(run) : null);

    /// <inheritdoc />
    public async Task<ReplayInfo?> StopAsync(string replayId)
    {
        if (starter.Replays.Find(replayId) is not { } run) return null;
        run.Stop();
        // The feed stops between two entries, then the sandbox stops: a few seconds, longer on a busy machine. The answer
        // does not wait past a few seconds (the call's own timeout is 30 s): still Running means stopping; follow with GetAsync.
        try { await run.Completion.WaitAsync(StopWait); }
        catch (TimeoutException) { }
        return Info(run);
    }

    private ReplayInfo Info(ReplayRun run)
    {
        var view = Api.ReplayEndpoints.View(run);
        var p = view.Progress;
        return new ReplayInfo(view.ReplayId, view.State, view.Scope, view.From, view.To, view.Speed, view.Twins, view.Loops, view.Changes,
            p.ReplayedUntil, p.Fraction, p.Entries, p.Readings, p.LoopSteps, view.FeedSeconds, view.Speedup, view.Hash, view.Error,
            run.Report?.ToTable(), run.Report is { } report ? JsonSerializer.Serialize(report, json.Value.SerializerOptions) : null);
    }
}
