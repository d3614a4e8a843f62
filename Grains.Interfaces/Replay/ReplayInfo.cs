using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Replay;

/// <summary>A replay as it is now (what <c>GET /api/replays/{id}</c> shows).</summary>
/// <param name="ReplayId">Its id.</param>
/// <param name="State">Running, Completed, Stopped or Failed.</param>
/// <param name="Scope">"all", the organization, or "twins".</param>
/// <param name="From">Start of the recorded range.</param>
/// <param name="To">End of the recorded range.</param>
/// <param name="Speed">"max" or a factor ("10x").</param>
/// <param name="Twins">Twins replayed.</param>
/// <param name="Loops">Control loops run.</param>
/// <param name="Changes">Changes tried.</param>
/// <param name="ReplayedUntil">Everything recorded before this instant has been fed.</param>
/// <param name="Fraction">How much of the range was fed (0 to 1).</param>
/// <param name="Entries">Recorded entries fed.</param>
/// <param name="Readings">Readings fed.</param>
/// <param name="LoopSteps">Loop iterations run.</param>
/// <param name="FeedSeconds">Wall time spent feeding.</param>
/// <param name="Speedup">Recorded time fed over wall time.</param>
/// <param name="Hash">The outcome's hash (completed replays): equal for two replays of the same recording and changes.</param>
/// <param name="Error">Why it failed.</param>
/// <param name="ReportTable">The comparison with the original period as a text table (completed, and stopped up to where it got).</param>
/// <param name="ReportJson">The same report as JSON, as <c>GET /api/replays/{id}/report</c> serves it.</param>
[GenerateSerializer, Immutable]
public sealed record ReplayInfo(
    [property: Id(0)] string ReplayId,
    [property: Id(1)] ReplayState State,
    [property: Id(2)] string Scope,
    [property: Id(3)] DateTimeOffset From,
    [property: Id(4)] DateTimeOffset To,
    [property: Id(5)] string Speed,
    [property: Id(6)] int Twins,
    [property: Id(7)] int Loops,
    [property: Id(8)] int Changes,
    [property: Id(9)] DateTimeOffset ReplayedUntil,
    [property: Id(10)] double Fraction,
    [property: Id(11)] long Entries,
    [property: Id(12)] long Readings,
    [property: Id(13)] long LoopSteps,
    [property: Id(14)] double FeedSeconds,
    [property: Id(15)] double Speedup,
    [property: Id(16)] string? Hash,
    [property: Id(17)] string? Error,
    [property: Id(18)] string? ReportTable,
    [property: Id(19)] string? ReportJson);

/// <summary>Why a replay was not started.</summary>
public enum ReplayRefusal : byte
{
    /// <summary>Started.</summary>
    None,
    /// <summary>The request is wrong (a range backwards, a bad speed, a change that does not fit): fix the request.</summary>
    Invalid,
    /// <summary>An unknown organization, twin, loop or tag.</summary>
    Unknown,
    /// <summary>Nothing recorded in the range for the twins asked.</summary>
    NothingRecorded,
    /// <summary>The silo records nothing (<c>Recording:Enabled=false</c>).</summary>
    RecordingOff,
    /// <summary>Another replay runs (one at a time).</summary>
    Busy,
}

/// <summary>The answer to a replay request: the replay started, or why not (every problem named).</summary>
/// <param name="Replay">The replay started; null when refused.</param>
/// <param name="Refusal">Why not.</param>
/// <param name="Message">What was wrong, naming it.</param>
[GenerateSerializer, Immutable]
public sealed record ReplayStart([property: Id(0)] ReplayInfo? Replay, [property: Id(1)] ReplayRefusal Refusal, [property: Id(2)] string? Message);
