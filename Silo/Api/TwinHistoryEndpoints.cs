using System.Globalization;
using Imv.Persistence.Sqlite.Recording;
using Imv.Silo.Security;
using Imv.Silo.Recording;

namespace Imv.Silo.Api;

/// <summary>Time travel over the plant recording: <c>GET /api/twins/{id}?at=</c> (the twin as it was) and
/// <c>GET /api/twins/{id}/history?tag=&amp;from=&amp;to=&amp;maxPoints=</c> (docs/api.md).</summary>
public static class TwinHistoryEndpoints
{
    /// <summary>The default and the largest <c>maxPoints</c>.</summary>
    public const int DefaultMaxPoints = 1000, LargestMaxPoints = 100_000;

    /// <summary>Maps <c>/api/twins/{id}/history</c> (the <c>at</c> form of <c>/api/twins/{id}</c> is answered by
    /// <see cref="AsOfAsync"/> from the twin endpoint).</summary>
    public static void MapTwinHistoryEndpoints(this IEndpointRouteBuilder app) => app.MapGet("/api/twins/{id}/history", HistoryAsync).Requires(Right.Read, TargetKind.Twin);

    /// <summary>The twin <paramref name="id"/> as it was at the query's <c>at</c>.</summary>
    public static async Task<IResult> AsOfAsync(string id, string atText, IGrainFactory grains, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!TryTime(atText, out var at)) return BadTime("at", atText);
        var config = await TwinEndpoints.FindTwinAsync(grains, id).ConfigureAwait(false);
        if (config is null) return ApiResults.UnknownTwin(id);
        if (Recorder(services) is not { } recorder) return RecordingOff();
        if (recorder.Range(id) is not { } range) return ApiResults.NotFound($"Nothing recorded for twin '{id}'.", new { twinId = id });
        if (at < range.First)
            return ApiResults.NotFound($"Nothing recorded for twin '{id}' at or before {at:O}: its recording starts at {range.First:O}.",
                new { twinId = id, at, recordedFrom = range.First });
        var names = config.Tags?.Select(t => t.Name).ToArray() ?? [];
        return Results.Ok(TwinHistory.AsOf(recorder, id, at, range, names, config.AlarmBands));
    }

    private static async Task<IResult> HistoryAsync(string id, HttpRequest request, IGrainFactory grains, IServiceProvider services)
    {
        var q = request.Query;
        string? tag = q["tag"];
        if (string.IsNullOrWhiteSpace(tag)) return ApiResults.BadRequest("Query parameter 'tag' is required.", new { parameter = "tag" });
        DateTimeOffset? from = null, to = null;
        if (q.TryGetValue("from", out var fromText)) { if (!TryTime(fromText, out var f)) return BadTime("from", fromText); from = f; }
        if (q.TryGetValue("to", out var toText)) { if (!TryTime(toText, out var t)) return BadTime("to", toText); to = t; }
        if (from is { } a && to is { } b && a > b)
            return ApiResults.BadRequest($"Query parameter 'from' ({a:O}) must not be after 'to' ({b:O}).", new { parameter = "from" });
        int maxPoints = DefaultMaxPoints;
        if (q.TryGetValue("maxPoints", out var maxText)
            && (!int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out maxPoints) || maxPoints < 1 || maxPoints > LargestMaxPoints))
            return ApiResults.BadRequest($"Query parameter 'maxPoints' must be a whole number from 1 to {LargestMaxPoints} (was '{maxText}').", new { parameter = "maxPoints" });
        var config = await TwinEndpoints.FindTwinAsync(grains, id).ConfigureAwait(false);
        if (config is null) return ApiResults.UnknownTwin(id);
        if (config.Tags is { } tags && !tags.Any(t => string.Equals(t.Name, tag, StringComparison.Ordinal)))
            return ApiResults.NotFound($"Twin '{id}' has no tag '{tag}'.", new { twinId = id, tag });
        if (Recorder(services) is not { } recorder) return RecordingOff();
        if (recorder.Range(id) is not { } range) return ApiResults.NotFound($"Nothing recorded for twin '{id}'.", new { twinId = id });
        var start = from ?? range.First;
        var end = to ?? range.Last;
        return TwinHistory.Series(recorder, id, tag, start, end, maxPoints) is { } history
            ? Results.Ok(history)
            : ApiResults.NotFound($"Nothing recorded for tag '{tag}' of twin '{id}' between {start:O} and {end:O} (its recording spans {range.First:O} to {range.Last:O}).",
                new { twinId = id, tag, from = start, to = end, recordedFrom = range.First, recordedTo = range.Last });
    }

    private static SqliteTwinRecorder? Recorder(IServiceProvider services) => services.GetService<SqliteTwinRecorder>();

    private static IResult RecordingOff() =>
        ApiResults.NotFound("Nothing is recorded on this silo: the plant recording is off (Recording:Enabled=false).", new { setting = "Recording:Enabled" });

    private static bool TryTime(string? text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    private static IResult BadTime(string parameter, string? text) =>
        ApiResults.BadRequest($"Query parameter '{parameter}' must be an ISO 8601 time such as 2026-12-06T14:03:00Z (was '{text}').", new { parameter });
}
