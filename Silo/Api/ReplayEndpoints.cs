using Imv.Grains.Interfaces.Replay;
using Imv.Silo.Directory;
using Imv.Silo.Replay;
using Imv.Silo.Security;

namespace Imv.Silo.Api;

/// <summary>Replays of the plant recording into a sandbox grid (docs/replay.md): <c>POST /api/replays</c> starts one,
/// <c>GET /api/replays/{id}</c> follows it, <c>GET /api/replays/{id}/report</c> compares it with the original period,
/// <c>DELETE /api/replays/{id}</c> stops it.</summary>
public static class ReplayEndpoints
{
    /// <summary>Maps the routes.</summary>
    public static void MapReplayEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/replays", StartAsync).Requires(Right.Configure, TargetKind.Body);
        app.MapGet("/api/replays", (ReplayService replays) => Results.Ok(replays.All.Select(View).ToList())).Requires(Right.Read);
        app.MapGet("/api/replays/{id}", (string id, ReplayService replays) => replays.Find(id) is { } run ? Results.Ok(View(run)) : UnknownReplay(id)).Requires(Right.Read);
        app.MapGet("/api/replays/{id}/report", Report).Requires(Right.Read);
        app.MapDelete("/api/replays/{id}", StopAsync).Requires(Right.Configure, TargetKind.Body);
    }

    /// <summary>A replay as the API shows it.</summary>
    public sealed record ReplayView(string ReplayId, ReplayState State, string Scope, DateTimeOffset From, DateTimeOffset To, string Speed,
        int Twins, int Loops, int Changes, string RequestedBy, string? Sandbox, ProgressView Progress, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt,
        double FeedSeconds, double Speedup, string? Hash, string? Error, Comparison? Total, ReplaySeedSummary? Seed);

    /// <summary>How far a replay got.</summary>
    public sealed record ProgressView(DateTimeOffset ReplayedUntil, double Fraction, long Entries, long Readings, long LoopSteps);

    /// <summary>The view of <paramref name="run"/>.</summary>
    public static ReplayView View(ReplayRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var p = run.Plan;
        var until = run.Progress.ReplayedUntil;
        double fraction = Math.Clamp((until - p.From) / (p.To - p.From), 0, 1);
        return new ReplayView(run.Id, run.State, p.Scope, p.From, p.To, p.Speed is { } s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) + "x" : "max",
            p.Twins.Count, p.Loops.Count, p.Changes.Count, run.RequestedBy, run.SandboxClusterId,
            new ProgressView(until, Math.Round(fraction, 4), run.Progress.Entries, run.Progress.Readings, run.Progress.LoopSteps),
            run.StartedAt, run.FinishedAt, Math.Round(run.FeedTime.TotalSeconds, 3), Math.Round(run.Speedup, 1), run.Hash, run.Error, run.Report?.Total, run.Seed);
    }

    private static IResult UnknownReplay(string id) => ApiResults.NotFound($"Unknown replay '{id}' (replays are kept in memory: the last {ReplayService.Kept} finished).", new { replayId = id });

    private static async Task<IResult> StartAsync(HttpRequest request, Caller caller, AccessControl access, ReplayStarter starter, CancellationToken cancellationToken)
    {
        var (body, error) = await RequestBody.ReadAsync<ReplayRequest>(request, cancellationToken).ConfigureAwait(false);
        if (body is null) return error!;
        if (await AuthorizeAsync(caller, access, body.OrganizationId, body.TwinIds).ConfigureAwait(false) is { } refused) return refused;
        var (run, refusal, message, problems) = await starter.StartAsync(body, caller.AvatarId, cancellationToken).ConfigureAwait(false);
        return refusal switch
        {
            ReplayRefusal.None => Results.Accepted($"/api/replays/{run!.Id}", View(run)),
            ReplayRefusal.RecordingOff => ApiResults.NotFound(message!, new { setting = "Recording:Enabled" }),
            ReplayRefusal.Busy => ApiResults.Conflict(message!, new { replayId = starter.Replays.Running?.Id }),
            _ => ApiResults.Error(problems.Any(p => p.Status == 404) ? 404 : problems.Any(p => p.Status == 400) ? 400 : problems[0].Status, message!,
                new { problems = problems.Select(p => new { field = p.Field, status = p.Status, message = p.Message }) }),
        };
    }

    private static async Task<IResult?> AuthorizeAsync(Caller caller, AccessControl access, string? organizationId, IReadOnlyList<string>? twinIds) =>
        await access.DecideReplayAsync(caller, organizationId, twinIds).ConfigureAwait(false) is { } refusal ? ApiResults.Forbidden(refusal.Message, refusal.Detail) : null;

    private static IResult Report(string id, HttpRequest request, ReplayService replays)
    {
        if (replays.Find(id) is not { } run) return UnknownReplay(id);
        if (run.Report is not { } report)
            return ApiResults.Conflict($"Replay '{id}' has no report yet ({run.State}): a report is made when it completes or is stopped.", new { replayId = id, state = run.State.ToString() });
        string? format = request.Query["format"];
        return format switch
        {
            null or "json" => Results.Ok(report),
            "table" => Results.Text(report.ToTable(), "text/plain; charset=utf-8"),
            _ => ApiResults.BadRequest($"Query parameter 'format' must be json or table (was '{format}').", new { parameter = "format" }),
        };
    }

    private static async Task<IResult> StopAsync(string id, Caller caller, AccessControl access, ReplayService replays, CancellationToken cancellationToken)
    {
        if (replays.Find(id) is not { } run) return UnknownReplay(id);
        var plan = run.Plan;
        if (await AuthorizeAsync(caller, access, plan.Scope is "all" or "twins" ? null : plan.Scope, plan.Scope == "twins" ? plan.Twins.Select(t => t.TwinId).ToList() : null).ConfigureAwait(false) is { } refused)
            return refused;
        run.Stop();
        // The feed stops between two entries; the sandbox then stops (a few seconds at most).
        try { await run.Completion.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false); }
        catch (TimeoutException) { }
        return Results.Ok(View(run));
    }
}
