using Imv.Grains.Interfaces.Twins;
using Orleans;

namespace Imv.Grains.Interfaces.Organizations;

/// <summary>The live aggregate of a virtual organization over every machine below it. Every field is a
/// sum, so the aggregate of a parent is exactly the sum of its children's aggregates; the OEE ratios are
/// derived from the sums (time-weighted), never averaged.</summary>
/// <param name="MachineCount">Machines below the organization.</param>
/// <param name="Running">Machines in <see cref="MachineRunState.Running"/>.</param>
/// <param name="Idle">Machines in <see cref="MachineRunState.Idle"/>.</param>
/// <param name="Faulted">Machines in <see cref="MachineRunState.Faulted"/>.</param>
/// <param name="Offline">Machines in <see cref="MachineRunState.Offline"/>.</param>
/// <param name="Unknown">Machines whose state is not known yet.</param>
/// <param name="ActiveAlarms">Active alarms over all machines.</param>
/// <param name="PlannedTime">Sum of the machines' planned production time.</param>
/// <param name="RunTime">Sum of the machines' run time.</param>
/// <param name="IdealRunTime">Sum over machines of ideal cycle time x parts made.</param>
/// <param name="IdealGoodTime">Sum over machines of ideal cycle time x good parts made.</param>
/// <param name="TotalCount">Parts made.</param>
/// <param name="GoodCount">Good parts made.</param>
[GenerateSerializer]
public sealed record OrganizationAggregate(
    [property: Id(0)] long MachineCount,
    [property: Id(1)] long Running,
    [property: Id(2)] long Idle,
    [property: Id(3)] long Faulted,
    [property: Id(4)] long Offline,
    [property: Id(5)] long Unknown,
    [property: Id(6)] long ActiveAlarms,
    [property: Id(7)] TimeSpan PlannedTime,
    [property: Id(8)] TimeSpan RunTime,
    [property: Id(9)] TimeSpan IdealRunTime,
    [property: Id(10)] TimeSpan IdealGoodTime,
    [property: Id(11)] long TotalCount,
    [property: Id(12)] long GoodCount)
{
    /// <summary>The aggregate of nothing.</summary>
    public static OrganizationAggregate Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, 0, 0);

    /// <summary>Availability: run time / planned time (0 when nothing is planned).</summary>
    public double Availability => PlannedTime > TimeSpan.Zero ? RunTime / PlannedTime : 0;

    /// <summary>Performance: ideal run time / run time (0 when nothing ran). May exceed 1 when the ideal
    /// cycle time is set too long.</summary>
    public double Performance => RunTime > TimeSpan.Zero ? IdealRunTime / RunTime : 0;

    /// <summary>Quality: good parts / parts (0 when nothing was made).</summary>
    public double Quality => TotalCount > 0 ? (double)GoodCount / TotalCount : 0;

    /// <summary>Overall equipment effectiveness: availability x performance x quality, computed over the
    /// sums (time-weighted across machines).</summary>
    public double Oee => Availability * Performance * Quality;

    /// <summary>The contribution of one machine: a count of one in its state plus its OEE inputs.</summary>
    public static OrganizationAggregate FromMachine(MachineStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var state = status.State;
        return new OrganizationAggregate(
            MachineCount: 1,
            Running: state == MachineRunState.Running ? 1 : 0,
            Idle: state == MachineRunState.Idle ? 1 : 0,
            Faulted: state == MachineRunState.Faulted ? 1 : 0,
            Offline: state == MachineRunState.Offline ? 1 : 0,
            Unknown: state is MachineRunState.Unknown or > MachineRunState.Offline ? 1 : 0,
            ActiveAlarms: Math.Max(0, status.ActiveAlarms),
            PlannedTime: status.PlannedTime,
            RunTime: status.RunTime,
            IdealRunTime: status.IdealCycleTime * status.TotalCount,
            IdealGoodTime: status.IdealCycleTime * status.GoodCount,
            TotalCount: status.TotalCount,
            GoodCount: status.GoodCount);
    }

    /// <summary>The contribution of a machine that is attached but has not reported yet.</summary>
    public static OrganizationAggregate UnknownMachine { get; } = Empty with { MachineCount = 1, Unknown = 1 };

    /// <summary>Field-by-field sum.</summary>
    public static OrganizationAggregate operator +(OrganizationAggregate left, OrganizationAggregate right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new(
            left.MachineCount + right.MachineCount, left.Running + right.Running, left.Idle + right.Idle,
            left.Faulted + right.Faulted, left.Offline + right.Offline, left.Unknown + right.Unknown,
            left.ActiveAlarms + right.ActiveAlarms, left.PlannedTime + right.PlannedTime, left.RunTime + right.RunTime,
            left.IdealRunTime + right.IdealRunTime, left.IdealGoodTime + right.IdealGoodTime,
            left.TotalCount + right.TotalCount, left.GoodCount + right.GoodCount);
    }

    /// <summary>Field-by-field difference (used to apply a child's change incrementally).</summary>
    public static OrganizationAggregate operator -(OrganizationAggregate left, OrganizationAggregate right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        return new(
            left.MachineCount - right.MachineCount, left.Running - right.Running, left.Idle - right.Idle,
            left.Faulted - right.Faulted, left.Offline - right.Offline, left.Unknown - right.Unknown,
            left.ActiveAlarms - right.ActiveAlarms, left.PlannedTime - right.PlannedTime, left.RunTime - right.RunTime,
            left.IdealRunTime - right.IdealRunTime, left.IdealGoodTime - right.IdealGoodTime,
            left.TotalCount - right.TotalCount, left.GoodCount - right.GoodCount);
    }

    /// <summary>Field-by-field sum (named alternative to the operator).</summary>
    public static OrganizationAggregate Add(OrganizationAggregate left, OrganizationAggregate right) => left + right;

    /// <summary>Field-by-field difference (named alternative to the operator).</summary>
    public static OrganizationAggregate Subtract(OrganizationAggregate left, OrganizationAggregate right) => left - right;
}
