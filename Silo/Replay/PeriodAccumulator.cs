using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Organizations;
using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Machines;

namespace Imv.Silo.Replay;

/// <summary>A twin's figures over a period, from the readings it accepted and the commands it moved, in its order
/// (received time): alarms raised (the twin's own <see cref="AlarmEvaluator"/> with deadband, per band), commands
/// issued and rejected, time outside a band (a band's tag at or beyond one of its limits), and the OEE inputs (run
/// time from the running tag, parts from the counters of the status mapping). The same class measures the original
/// period (from the recording) and the replay (from what the sandbox twins accepted), so both sides are counted alike.
/// Not thread-safe: one twin's entries arrive one at a time.</summary>
public sealed class PeriodAccumulator
{
    private readonly AlarmBand[] _bands;
    private readonly AlarmLevel[] _levels;
    private readonly long[] _outsideSince;   // 0: inside
    private readonly StatusMapping? _status;
    private readonly long _from;
    private readonly HashSet<string> _commands = new(StringComparer.Ordinal);
    private readonly HashSet<string> _rejected = new(StringComparer.Ordinal);
    private long _outsideTicks, _runTicks, _runningSince;
    private long? _firstTotal, _firstGood, _lastTotal, _lastGood;
    private long _totalCarried, _goodCarried;

    /// <summary>An accumulator for a period starting at <paramref name="from"/> with these bands and status mapping.</summary>
    public PeriodAccumulator(DateTimeOffset from, IReadOnlyList<AlarmBand>? bands, StatusMapping? status)
    {
        _bands = bands is null ? [] : [.. bands];
        _levels = new AlarmLevel[_bands.Length];
        _outsideSince = new long[_bands.Length];
        _status = status;
        _from = from.UtcTicks;
    }

    /// <summary>Alarms raised (a band entering a level, or changing level).</summary>
    public int AlarmsRaised { get; private set; }

    /// <summary>Readings counted.</summary>
    public long Readings { get; private set; }

    /// <summary>Distinct commands seen.</summary>
    public int CommandsIssued => _commands.Count;

    /// <summary>Distinct commands that ended Rejected.</summary>
    public int CommandsRejected => _rejected.Count;

    /// <summary>Readings accepted at <paramref name="at"/>, in the order applied.</summary>
    public void Add(DateTimeOffset at, ReadOnlySpan<TagUpdate> readings)
    {
        long t = at.UtcTicks;
        foreach (ref readonly var r in readings)
        {
            Readings++;
            for (int b = 0; b < _bands.Length; b++)
            {
                if (!string.Equals(_bands[b].Tag, r.Tag, StringComparison.Ordinal) || r.Quality == TagQuality.Bad || !r.Value.TryGetNumber(out double v)) continue;
                var next = AlarmEvaluator.Evaluate(v, _levels[b], _bands[b]);
                if (next != _levels[b] && next != AlarmLevel.None) AlarmsRaised++;
                _levels[b] = next;
                bool outside = Outside(_bands[b], v);
                if (outside && _outsideSince[b] == 0) _outsideSince[b] = Math.Max(t, _from);
                else if (!outside && _outsideSince[b] != 0) { _outsideTicks += Math.Max(0, t - _outsideSince[b]); _outsideSince[b] = 0; }
            }
            if (_status is null) continue;
            if (string.Equals(_status.RunningTag, r.Tag, StringComparison.Ordinal) && r.Value.TryGetNumber(out double running))
            {
                if (running != 0 && _runningSince == 0) _runningSince = Math.Max(t, _from);
                else if (running == 0 && _runningSince != 0) { _runTicks += Math.Max(0, t - _runningSince); _runningSince = 0; }
            }
            if (string.Equals(_status.TotalCountTag, r.Tag, StringComparison.Ordinal) && r.Value.TryGetNumber(out double total))
                Count((long)total, ref _firstTotal, ref _lastTotal, ref _totalCarried);
            if (string.Equals(_status.GoodCountTag, r.Tag, StringComparison.Ordinal) && r.Value.TryGetNumber(out double good))
                Count((long)good, ref _firstGood, ref _lastGood, ref _goodCarried);
        }
    }

    /// <summary>The state at the period's start (each tag's last reading before it, <see cref="Imv.Grains.Interfaces.Twins.TwinSeed"/>),
    /// counted as it stood then, not as readings of the period: a band's tag beyond a level is in alarm from the start (not
    /// raised in the period; evaluated from no alarm, as the seeded twin does) and outside the band from the start, a
    /// running machine runs from the start, counters count from their values then. Call before <see cref="Add"/>.</summary>
    public void Seed(ReadOnlySpan<SeededTag> tags)
    {
        foreach (ref readonly var s in tags)
        {
            var r = s.Reading;
            for (int b = 0; b < _bands.Length; b++)
            {
                if (!string.Equals(_bands[b].Tag, r.Tag, StringComparison.Ordinal) || r.Quality == TagQuality.Bad || !r.Value.TryGetNumber(out double v)) continue;
                _levels[b] = AlarmEvaluator.Evaluate(v, AlarmLevel.None, _bands[b]);
                _outsideSince[b] = Outside(_bands[b], v) ? _from : 0;
            }
            if (_status is null) continue;
            if (string.Equals(_status.RunningTag, r.Tag, StringComparison.Ordinal) && r.Value.TryGetNumber(out double running))
                _runningSince = running != 0 ? _from : 0;
            if (string.Equals(_status.TotalCountTag, r.Tag, StringComparison.Ordinal) && r.Value.TryGetNumber(out double total))
                Count((long)total, ref _firstTotal, ref _lastTotal, ref _totalCarried);
            if (string.Equals(_status.GoodCountTag, r.Tag, StringComparison.Ordinal) && r.Value.TryGetNumber(out double good))
                Count((long)good, ref _firstGood, ref _lastGood, ref _goodCarried);
        }
    }

    /// <summary>The bands' alarms active now (tag, level), in band order.</summary>
    public IReadOnlyList<(string Tag, AlarmLevel Level)> ActiveAlarms()
    {
        var list = new List<(string, AlarmLevel)>();
        for (int b = 0; b < _bands.Length; b++) if (_levels[b] != AlarmLevel.None) list.Add((_bands[b].Tag, _levels[b]));
        return list;
    }

    /// <summary>A command as one of its transitions left it.</summary>
    public void Command(string commandId, CommandDeliveryStatus status)
    {
        _commands.Add(commandId);
        if (status == CommandDeliveryStatus.Rejected) _rejected.Add(commandId);
    }

    /// <summary>The figures at the end of the period, <paramref name="to"/>.</summary>
    public PeriodFigures Figures(string twinId, DateTimeOffset to)
    {
        long end = to.UtcTicks;
        long outside = _outsideTicks;
        foreach (var since in _outsideSince) if (since != 0) outside += Math.Max(0, end - since);
        long run = _runTicks + (_runningSince != 0 ? Math.Max(0, end - _runningSince) : 0);
        long total = _lastTotal is { } lt ? lt - _firstTotal!.Value + _totalCarried : 0;
        long good = _lastGood is { } lg ? lg - _firstGood!.Value + _goodCarried : 0;
        var status = new MachineStatus(twinId, MachineRunState.Unknown, 0, TimeSpan.FromTicks(Math.Max(0, end - _from)), TimeSpan.FromTicks(run),
            _status?.IdealCycleTime ?? TimeSpan.Zero, Math.Max(0, total), Math.Max(0, good), to);
        return new PeriodFigures(AlarmsRaised, CommandsIssued, CommandsRejected, TimeSpan.FromTicks(outside).TotalSeconds,
            OrganizationAggregate.FromMachine(status), Readings);
    }

    private static bool Outside(AlarmBand band, double v) =>
        (band.Low is { } l && v <= l) || (band.LowLow is { } ll && v <= ll) || (band.High is { } h && v >= h) || (band.HighHigh is { } hh && v >= hh);

    /// <summary>Counts parts from a counter that may be reset in the plant: a value going backwards starts from zero.</summary>
    private static void Count(long value, ref long? first, ref long? last, ref long carried)
    {
        if (first is null) { first = value; last = value; return; }
        if (value < last) { carried += last!.Value - first.Value; first = 0; }
        last = value;
    }
}

/// <summary>A twin's (or an organization's) figures over a period.</summary>
/// <param name="AlarmsRaised">Alarms raised.</param>
/// <param name="CommandsIssued">Commands issued (distinct).</param>
/// <param name="CommandsRejected">Commands that ended Rejected.</param>
/// <param name="SecondsOutsideBand">Time a band's tag spent at or beyond one of its limits, summed over bands (s).</param>
/// <param name="Production">The OEE inputs (planned and run time, parts); <see cref="OrganizationAggregate.Oee"/> is the OEE.</param>
/// <param name="Readings">Readings counted.</param>
public sealed record PeriodFigures(int AlarmsRaised, int CommandsIssued, int CommandsRejected, double SecondsOutsideBand,
    [property: System.Text.Json.Serialization.JsonIgnore] OrganizationAggregate Production, long Readings)
{
    /// <summary>The OEE over the period (availability x performance x quality).</summary>
    public double Oee => Production.Oee;

    /// <summary>Run time over planned time.</summary>
    public double Availability => Production.Availability;

    /// <summary>Ideal time of the parts made over run time.</summary>
    public double Performance => Production.Performance;

    /// <summary>Good parts over all parts.</summary>
    public double Quality => Production.Quality;

    /// <summary>Time running (s).</summary>
    public double RunSeconds => Production.RunTime.TotalSeconds;

    /// <summary>Parts made.</summary>
    public long TotalCount => Production.TotalCount;

    /// <summary>Good parts made.</summary>
    public long GoodCount => Production.GoodCount;

    /// <summary>Nothing.</summary>
    public static PeriodFigures Empty { get; } = new(0, 0, 0, 0, OrganizationAggregate.Empty, 0);

    /// <summary>Sums two twins' figures (an organization's).</summary>
    public static PeriodFigures operator +(PeriodFigures a, PeriodFigures b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(a.AlarmsRaised + b.AlarmsRaised, a.CommandsIssued + b.CommandsIssued, a.CommandsRejected + b.CommandsRejected,
            a.SecondsOutsideBand + b.SecondsOutsideBand, a.Production + b.Production, a.Readings + b.Readings);
    }
}
