using Imv.Grains.Interfaces.Recording;
using Imv.Persistence.Recording;
using Imv.Silo.Api;

namespace Imv.Silo.Recording;

/// <summary>The questions of time travel with their checks (the twin and tag exist, the recording is on and holds
/// something for them), shared by the HTTP endpoints (<see cref="TwinHistoryEndpoints"/>) and the grain the SDK asks
/// (<see cref="TwinHistoryGrain"/>). The SQLite recording answers its reads synchronously: callers on a grain's
/// scheduler run them on the thread pool.</summary>
public static class TwinHistoryQuery
{
    /// <summary>The default and the largest number of points of a history.</summary>
    public const int DefaultMaxPoints = 1000, LargestMaxPoints = 100_000;

    /// <summary>The twin <paramref name="id"/> as it was at <paramref name="at"/>.</summary>
    public static async Task<HistoryAnswer<TwinAsOf>> AsOfAsync(IGrainFactory grains, IRecordingReader? recorder, string id, DateTimeOffset at,
        CancellationToken cancellationToken = default)
    {
        var config = await TwinEndpoints.FindTwinAsync(grains, id).ConfigureAwait(false);
        if (config is null) return HistoryAnswer<TwinAsOf>.No(HistoryProblemKind.UnknownTwin, $"Unknown twin '{id}'.");
        if (recorder is null) return HistoryAnswer<TwinAsOf>.No(HistoryProblemKind.RecordingOff, RecordingOff);
        if (await recorder.RangeAsync(id, cancellationToken).ConfigureAwait(false) is not { } range) return HistoryAnswer<TwinAsOf>.No(HistoryProblemKind.NothingRecorded, $"Nothing recorded for twin '{id}'.");
        if (at < range.First)
            return HistoryAnswer<TwinAsOf>.No(HistoryProblemKind.NothingRecorded,
                $"Nothing recorded for twin '{id}' at or before {at:O}: its recording starts at {range.First:O}.");
        var names = config.Tags?.Select(t => t.Name).ToArray() ?? [];
        return HistoryAnswer<TwinAsOf>.Of(await TwinHistory.AsOfAsync(recorder, id, at, range, names, config.AlarmBands, cancellationToken: cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The readings of <paramref name="tag"/> of twin <paramref name="id"/> between <paramref name="from"/> and
    /// <paramref name="to"/> (null: the recording's first or last instant), at most <paramref name="maxPoints"/> points.</summary>
    public static async Task<HistoryAnswer<TagHistory>> SeriesAsync(IGrainFactory grains, IRecordingReader? recorder, string id, string tag,
        DateTimeOffset? from, DateTimeOffset? to, int maxPoints, CancellationToken cancellationToken = default)
    {
        if (from is { } a && to is { } b && a > b)
            return HistoryAnswer<TagHistory>.No(HistoryProblemKind.BadQuestion, $"'from' ({a:O}) must not be after 'to' ({b:O}).");
        if (maxPoints < 1 || maxPoints > LargestMaxPoints)
            return HistoryAnswer<TagHistory>.No(HistoryProblemKind.BadQuestion, $"'maxPoints' must be a whole number from 1 to {LargestMaxPoints} (was {maxPoints}).");
        var config = await TwinEndpoints.FindTwinAsync(grains, id).ConfigureAwait(false);
        if (config is null) return HistoryAnswer<TagHistory>.No(HistoryProblemKind.UnknownTwin, $"Unknown twin '{id}'.");
        if (config.Tags is { } tags && !tags.Any(t => string.Equals(t.Name, tag, StringComparison.Ordinal)))
            return HistoryAnswer<TagHistory>.No(HistoryProblemKind.UnknownTag, $"Twin '{id}' has no tag '{tag}'.");
        if (recorder is null) return HistoryAnswer<TagHistory>.No(HistoryProblemKind.RecordingOff, RecordingOff);
        if (await recorder.RangeAsync(id, cancellationToken).ConfigureAwait(false) is not { } range) return HistoryAnswer<TagHistory>.No(HistoryProblemKind.NothingRecorded, $"Nothing recorded for twin '{id}'.");
        var start = from ?? range.First;
        var end = to ?? range.Last;
        return await TwinHistory.SeriesAsync(recorder, id, tag, start, end, maxPoints, cancellationToken).ConfigureAwait(false) is { } history
            ? HistoryAnswer<TagHistory>.Of(history)
            : HistoryAnswer<TagHistory>.No(HistoryProblemKind.NothingRecorded,
                $"Nothing recorded for tag '{tag}' of twin '{id}' between {start:O} and {end:O} (its recording spans {range.First:O} to {range.Last:O}).");
    }

    private const string RecordingOff = "Nothing is recorded on this silo: the plant recording is off (Recording:Enabled=false).";
}
