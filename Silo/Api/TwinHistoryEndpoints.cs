using System.Globalization;
using Imv.Grains.Interfaces.Recording;
using Imv.Persistence.Recording;
using Imv.Silo.Security;
using Imv.Silo.Recording;

namespace Imv.Silo.Api;

/// <summary>Time travel over the plant recording: <c>GET /api/twins/{id}?at=</c> (the twin as it was) and
/// <c>GET /api/twins/{id}/history?tag=&amp;from=&amp;to=&amp;maxPoints=</c> (docs/api.md).</summary>
public static class TwinHistoryEndpoints
{
    /// <summary>The default and the largest <c>maxPoints</c>.</summary>
    public const int DefaultMaxPoints = TwinHistoryQuery.DefaultMaxPoints, LargestMaxPoints = TwinHistoryQuery.LargestMaxPoints;

    /// <summary>Maps <c>/api/twins/{id}/history</c> (the <c>at</c> form of <c>/api/twins/{id}</c> is answered by
    /// <see cref="AsOfAsync"/> from the twin endpoint).</summary>
    public static void MapTwinHistoryEndpoints(this IEndpointRouteBuilder app) => app.MapGet("/api/twins/{id}/history", HistoryAsync).Requires(Right.Read, TargetKind.Twin);

    /// <summary>The twin <paramref name="id"/> as it was at the query's <c>at</c>.</summary>
    public static async Task<IResult> AsOfAsync(string id, string atText, IGrainFactory grains, IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!TryTime(atText, out var at)) return BadTime("at", atText);
        return Answer(await TwinHistoryQuery.AsOfAsync(grains, Recorder(services), id, at, cancellationToken).ConfigureAwait(false), id, null);
    }

    private static async Task<IResult> HistoryAsync(string id, HttpRequest request, IGrainFactory grains, IServiceProvider services)
    {
        var q = request.Query;
        string? tag = q["tag"];
        if (string.IsNullOrWhiteSpace(tag)) return ApiResults.BadRequest("Query parameter 'tag' is required.", new { parameter = "tag" });
        DateTimeOffset? from = null, to = null;
        if (q.TryGetValue("from", out var fromText)) { if (!TryTime(fromText, out var f)) return BadTime("from", fromText); from = f; }
        if (q.TryGetValue("to", out var toText)) { if (!TryTime(toText, out var t)) return BadTime("to", toText); to = t; }
        int maxPoints = DefaultMaxPoints;
        if (q.TryGetValue("maxPoints", out var maxText)
            && (!int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out maxPoints) || maxPoints < 1 || maxPoints > LargestMaxPoints))
            return ApiResults.BadRequest($"Query parameter 'maxPoints' must be a whole number from 1 to {LargestMaxPoints} (was '{maxText}').", new { parameter = "maxPoints" });
        return Answer(await TwinHistoryQuery.SeriesAsync(grains, Recorder(services), id, tag, from, to, maxPoints, request.HttpContext.RequestAborted).ConfigureAwait(false), id, tag);
    }

    /// <summary>200 with the answer, or the problem: 400 for a wrong question, 404 for what does not exist or was not recorded.</summary>
    private static IResult Answer<T>(HistoryAnswer<T> answer, string twinId, string? tag) where T : class => answer switch
    {
        { Value: { } value } => Results.Ok(value),
        { Problem: { Kind: HistoryProblemKind.BadQuestion } p } => ApiResults.BadRequest("Query parameter " + p.Message, new { twinId, tag }),
        { Problem: { Kind: HistoryProblemKind.RecordingOff } p } => ApiResults.NotFound(p.Message, new { setting = "Recording:Enabled" }),
        { Problem: { } p } => ApiResults.NotFound(p.Message, new { twinId, tag, problem = p.Kind.ToString() }),
        _ => throw new InvalidOperationException("An answer without a value or a problem."),
    };

    private static IRecordingReader? Recorder(IServiceProvider services) => services.GetService<IRecordingReader>();

    private static bool TryTime(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    private static IResult BadTime(string parameter, string? text) =>
        ApiResults.BadRequest($"Query parameter '{parameter}' must be an ISO 8601 time such as 2026-12-06T14:03:00Z (was '{text}').", new { parameter });
}
