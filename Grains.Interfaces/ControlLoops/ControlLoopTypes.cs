using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Twins;
using Orleans;

namespace Imv.Grains.Interfaces.ControlLoops;

/// <summary>The control law of a loop.</summary>
public enum ControlLawKind : byte
{
    /// <summary>On/off with hysteresis (a thermostat).</summary>
    OnOff = 0,
    /// <summary>Proportional-integral-derivative with anti-windup.</summary>
    Pid = 1,
}

/// <summary>Which way the output acts on the measured value.</summary>
public enum ControlAction : byte
{
    /// <summary>More output raises the measured value (heating): the output rises when the value is below the setpoint.</summary>
    Direct = 0,
    /// <summary>More output lowers the measured value (cooling): the output rises when the value is above the setpoint.</summary>
    Reverse = 1,
}

/// <summary>Parameters of the on/off law. With direct action the output turns on below setpoint - hysteresis/2
/// and off above setpoint + hysteresis/2; in between it keeps its state.</summary>
/// <param name="Hysteresis">The width of the band around the setpoint (&gt;= 0).</param>
/// <param name="OnOutput">The output when on.</param>
/// <param name="OffOutput">The output when off.</param>
[GenerateSerializer]
public sealed record OnOffParameters(
    [property: Id(0)] double Hysteresis,
    [property: Id(1)] double OnOutput = 1,
    [property: Id(2)] double OffOutput = 0);

/// <summary>Parameters of the PID law (parallel form, derivative on the measurement). Anti-windup: the
/// integral stops growing while the output is held at a limit in the integral's direction.</summary>
/// <param name="Kp">Proportional gain.</param>
/// <param name="Ki">Integral gain, per second.</param>
/// <param name="Kd">Derivative gain, in seconds.</param>
/// <param name="Bias">Output when the error, integral and derivative are zero.</param>
[GenerateSerializer]
public sealed record PidParameters(
    [property: Id(0)] double Kp,
    [property: Id(1)] double Ki = 0,
    [property: Id(2)] double Kd = 0,
    [property: Id(3)] double Bias = 0);

/// <summary>How a closed loop is set up.</summary>
/// <param name="MeasuredTwinId">The twin whose tag is measured.</param>
/// <param name="MeasuredTag">The measured tag (numeric).</param>
/// <param name="OutputTwinId">The twin commanded (usually the same twin).</param>
/// <param name="OutputTag">The tag written with the output (writable, numeric or boolean).</param>
/// <param name="Setpoint">The goal for the measured value.</param>
/// <param name="Law">On/off or PID.</param>
/// <param name="SamplePeriod">Time between iterations (&gt; 0).</param>
/// <param name="OutputMinimum">Lowest output.</param>
/// <param name="OutputMaximum">Highest output.</param>
/// <param name="SafeOutput">The output sent when the measured value is stale or Bad.</param>
/// <param name="Action">Direct (heating) or reverse (cooling).</param>
/// <param name="OnOff">On/off parameters (law OnOff).</param>
/// <param name="Pid">PID parameters (law Pid).</param>
/// <param name="RateLimit">Largest output change per second; null for none. The safe output is not rate limited.</param>
/// <param name="StaleAfter">A measured value older than this is stale; null: three sample periods.</param>
/// <param name="HistoryLength">How many iterations to keep (1..10,000); 0: 100.</param>
[GenerateSerializer]
public sealed record ControlLoopConfiguration(
    [property: Id(0)] string MeasuredTwinId,
    [property: Id(1)] string MeasuredTag,
    [property: Id(2)] string OutputTwinId,
    [property: Id(3)] string OutputTag,
    [property: Id(4)] double Setpoint,
    [property: Id(5)] ControlLawKind Law,
    [property: Id(6)] TimeSpan SamplePeriod,
    [property: Id(7)] double OutputMinimum,
    [property: Id(8)] double OutputMaximum,
    [property: Id(9)] double SafeOutput,
    [property: Id(10)] ControlAction Action = ControlAction.Direct,
    [property: Id(11)] OnOffParameters? OnOff = null,
    [property: Id(12)] PidParameters? Pid = null,
    [property: Id(13)] double? RateLimit = null,
    [property: Id(14)] TimeSpan? StaleAfter = null,
    [property: Id(15)] int HistoryLength = 0);

/// <summary>What one iteration of a loop did.</summary>
/// <param name="At">When it ran (UTC).</param>
/// <param name="Measured">The measured value; null when none could be read.</param>
/// <param name="Quality">The measured value's quality (Bad when unreadable).</param>
/// <param name="Setpoint">The setpoint used.</param>
/// <param name="Output">The output decided.</param>
/// <param name="Safe">True when the safe output was used because the measurement was stale or Bad.</param>
/// <param name="CommandId">The command issued; null when the output did not change, so none was sent.</param>
/// <param name="CommandStatus">The command's status when the twin answered.</param>
/// <param name="Note">Why something unusual happened (rejection reason, read failure); null otherwise.</param>
[GenerateSerializer]
[SuppressReferenceTracking]
public sealed record LoopIteration(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] double? Measured,
    [property: Id(2)] TagQuality Quality,
    [property: Id(3)] double Setpoint,
    [property: Id(4)] double Output,
    [property: Id(5)] bool Safe,
    [property: Id(6)] string? CommandId,
    [property: Id(7)] CommandDeliveryStatus? CommandStatus,
    [property: Id(8)] string? Note);

/// <summary>A loop as read now.</summary>
/// <param name="LoopId">The loop's id; it is also the issuer id of its commands.</param>
/// <param name="Configuration">Its configuration; null when not configured.</param>
/// <param name="Enabled">Whether it runs.</param>
/// <param name="LastOutput">The last output issued; null when none.</param>
/// <param name="IterationCount">Iterations run since configured.</param>
/// <param name="History">The latest iterations, oldest first; bounded.</param>
/// <param name="Deleted">Deleted through the API (the plant bootstrap does not plan it again).</param>
[GenerateSerializer]
public sealed record ControlLoopStatus(
    [property: Id(0)] string LoopId,
    [property: Id(1)] ControlLoopConfiguration? Configuration,
    [property: Id(2)] bool Enabled,
    [property: Id(3)] double? LastOutput,
    [property: Id(4)] long IterationCount,
    [property: Id(5)] IReadOnlyList<LoopIteration> History,
    [property: Id(6)] bool Deleted = false);
