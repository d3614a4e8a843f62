using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>A machine twin's summary, pushed to its organization whenever it changes. Organizations
/// aggregate these incrementally (counts, alarms, OEE).</summary>
/// <param name="MachineId">The machine twin's id (grain key).</param>
/// <param name="State">What the machine is doing.</param>
/// <param name="ActiveAlarms">How many alarms are active on the machine now.</param>
/// <param name="PlannedTime">OEE: the production time planned in the current window.</param>
/// <param name="RunTime">OEE: the time the machine actually ran in the window (availability = RunTime / PlannedTime).</param>
/// <param name="IdealCycleTime">OEE: the ideal time for one part (performance = IdealCycleTime x TotalCount / RunTime).</param>
/// <param name="TotalCount">OEE: parts made in the window.</param>
/// <param name="GoodCount">OEE: good parts made in the window (quality = GoodCount / TotalCount).</param>
/// <param name="ReportedAt">When the twin produced this summary (UTC).</param>
[GenerateSerializer]
public sealed record MachineStatus(
    [property: Id(0)] string MachineId,
    [property: Id(1)] MachineRunState State,
    [property: Id(2)] int ActiveAlarms,
    [property: Id(3)] TimeSpan PlannedTime,
    [property: Id(4)] TimeSpan RunTime,
    [property: Id(5)] TimeSpan IdealCycleTime,
    [property: Id(6)] long TotalCount,
    [property: Id(7)] long GoodCount,
    [property: Id(8)] DateTimeOffset ReportedAt);
