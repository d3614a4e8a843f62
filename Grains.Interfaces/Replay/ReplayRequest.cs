using Imv.Grains.Interfaces.ControlLoops;
using Imv.Grains.Interfaces.Twins;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Replay;

/// <summary>What a replay is asked to do (the body of <c>POST /api/replays</c>, docs/replay.md).</summary>
/// <param name="From">The start of the recorded range (inclusive).</param>
/// <param name="To">The end of the recorded range (exclusive).</param>
/// <param name="OrganizationId">Replay the twins of this organization (and every organization below it); null with
/// no <paramref name="TwinIds"/>: every twin of the grid.</param>
/// <param name="TwinIds">Replay these twins (instead of an organization).</param>
/// <param name="Speed">"max" (as fast as possible, the default), or a factor of recorded time such as "1x", "10x", "60".</param>
/// <param name="Changes">What to try in the sandbox; null: nothing changed.</param>
[GenerateSerializer, Immutable]
public sealed record ReplayRequest([property: Id(0)] DateTimeOffset? From, [property: Id(1)] DateTimeOffset? To, [property: Id(2)] string? OrganizationId = null, [property: Id(3)] IReadOnlyList<string>? TwinIds = null,
    [property: Id(4)] string? Speed = null, [property: Id(5)] ReplayChanges? Changes = null);

/// <summary>Changes to try in the sandbox: they apply to the sandbox's twins and loops only, never to the grid.</summary>
/// <param name="Loops">Control loop parameters.</param>
/// <param name="AlarmBands">Alarm bands (replacing the band of the same tag, or added).</param>
/// <param name="Twins">Twin configuration.</param>
[GenerateSerializer, Immutable]
public sealed record ReplayChanges([property: Id(0)] IReadOnlyList<LoopChange>? Loops = null, [property: Id(1)] IReadOnlyList<AlarmBandChange>? AlarmBands = null,
    [property: Id(2)] IReadOnlyList<TwinConfigurationChange>? Twins = null)
{
    /// <summary>How many changes.</summary>
    public int Count => (Loops?.Count ?? 0) + (AlarmBands?.Count ?? 0) + (Twins?.Count ?? 0);
}

/// <summary>A control loop's parameters changed for the replay (each null field keeps the loop's own).</summary>
/// <param name="LoopId">The loop.</param>
/// <param name="Setpoint">Its setpoint.</param>
/// <param name="Pid">Its PID parameters (a PID loop).</param>
/// <param name="OnOff">Its on/off parameters (an on/off loop).</param>
/// <param name="SamplePeriod">Its sample period.</param>
/// <param name="OutputMinimum">Its lowest output.</param>
/// <param name="OutputMaximum">Its highest output.</param>
/// <param name="SafeOutput">Its safe output.</param>
/// <param name="RateLimit">Its largest output change per second.</param>
/// <param name="Enabled">Run it in the sandbox (true) or not (false); null: as in the grid.</param>
[GenerateSerializer, Immutable]
public sealed record LoopChange([property: Id(0)] string LoopId, [property: Id(1)] double? Setpoint = null, [property: Id(2)] PidParameters? Pid = null, [property: Id(3)] OnOffParameters? OnOff = null,
    [property: Id(4)] TimeSpan? SamplePeriod = null, [property: Id(5)] double? OutputMinimum = null, [property: Id(6)] double? OutputMaximum = null, [property: Id(7)] double? SafeOutput = null, [property: Id(8)] double? RateLimit = null,
    [property: Id(9)] bool? Enabled = null);

/// <summary>An alarm band for the replay.</summary>
/// <param name="TwinId">The twin; null: every twin of the replay that has the band's tag.</param>
/// <param name="Band">The band (replaces the twin's band on the same tag).</param>
[GenerateSerializer, Immutable]
public sealed record AlarmBandChange([property: Id(0)] string? TwinId, [property: Id(1)] AlarmBand Band);

/// <summary>A twin's configuration changed for the replay (each null field keeps the twin's own).</summary>
/// <param name="TwinId">The twin.</param>
/// <param name="StaleAfter">Its staleness bound.</param>
/// <param name="Status">Its status mapping (OEE).</param>
/// <param name="RemoveAlarmBands">Tags whose alarm band is removed.</param>
[GenerateSerializer, Immutable]
public sealed record TwinConfigurationChange([property: Id(0)] string TwinId, [property: Id(1)] TimeSpan? StaleAfter = null, [property: Id(2)] StatusMapping? Status = null,
    [property: Id(3)] IReadOnlyList<string>? RemoveAlarmBands = null);
