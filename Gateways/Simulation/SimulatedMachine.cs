using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.Simulation;

/// <summary>What a simulated machine is doing.</summary>
public enum SimulatedMachineState
{
    /// <summary>Producing at (towards) its speed setpoint.</summary>
    Running,
    /// <summary>Stopped, healthy.</summary>
    Idle,
    /// <summary>Stopped by a fault; needs a Reset.</summary>
    Faulted,
}

/// <summary>The physics of one simulated machine (an injection press, say). Plausible, not exact:
/// speed ramps towards its target; temperature follows its setpoint with a first-order lag (heating only while
/// running) plus noise; pressure follows speed; parts come out at the speed, some scrapped, more so when the
/// temperature is off its setpoint; faults arrive as a Poisson process while running. All randomness comes
/// from the plant's seeded generator.</summary>
public sealed class SimulatedMachine
{
    /// <summary>The tags every machine has, with their metadata.</summary>
    public static readonly IReadOnlyList<TagMetadata> Tags =
    [
        new(TagNames.State, TagDataType.String),
        new(TagNames.Running, TagDataType.Boolean),
        new(TagNames.Faulted, TagDataType.Boolean),
        new(TagNames.Temperature, TagDataType.Double, "degC"),
        new(TagNames.Pressure, TagDataType.Double, "bar"),
        new(TagNames.Speed, TagDataType.Double, "1/min"),
        new(TagNames.SpeedSetpoint, TagDataType.Double, "1/min", Writable: true, Minimum: 0, Maximum: MaxSpeed),
        new(TagNames.TemperatureSetpoint, TagDataType.Double, "degC", Writable: true, Minimum: 20, Maximum: 250),
        new(TagNames.PartCount, TagDataType.Integer),
        new(TagNames.GoodCount, TagDataType.Integer),
        new(TagNames.ScrapCount, TagDataType.Integer),
        new(TagNames.FaultCode, TagDataType.Integer),
        new(TagNames.ActiveAlarms, TagDataType.Integer),
        new(TagNames.RunTime, TagDataType.Double, "s"),
        new(TagNames.PlannedTime, TagDataType.Double, "s"),
        new(TagNames.IdealCycleTime, TagDataType.Double, "s"),
    ];

    /// <summary>Top speed, parts per minute.</summary>
    public const double MaxSpeed = 120;

    /// <summary>Ambient temperature, degC.</summary>
    public const double Ambient = 22;

    /// <summary>Temperature lag time constant.</summary>
    public static readonly TimeSpan ThermalTimeConstant = TimeSpan.FromSeconds(60);

    /// <summary>Speed ramp, parts per minute per second.</summary>
    public const double SpeedRamp = 20;

    private double _partFraction;

    internal SimulatedMachine(string id, string site, string line, SimulatedMachineState initial, double speedSetpoint, double temperatureSetpoint)
    {
        Id = id;
        Site = site;
        Line = line;
        State = initial;
        SpeedSetpoint = speedSetpoint;
        TemperatureSetpoint = temperatureSetpoint;
        Temperature = initial == SimulatedMachineState.Running ? temperatureSetpoint : Ambient;
        Speed = initial == SimulatedMachineState.Running ? speedSetpoint : 0;
    }

    /// <summary>The twin id.</summary>
    public string Id { get; }

    /// <summary>The site id.</summary>
    public string Site { get; }

    /// <summary>The line id.</summary>
    public string Line { get; }

    /// <summary>What it is doing.</summary>
    public SimulatedMachineState State { get; private set; }

    /// <summary>Degrees Celsius.</summary>
    public double Temperature { get; private set; }

    /// <summary>Bar.</summary>
    public double Pressure { get; private set; } = 1;

    /// <summary>Actual speed, parts per minute.</summary>
    public double Speed { get; private set; }

    /// <summary>Speed setpoint, parts per minute.</summary>
    public double SpeedSetpoint { get; internal set; }

    /// <summary>Temperature setpoint, degC.</summary>
    public double TemperatureSetpoint { get; internal set; }

    /// <summary>Parts made.</summary>
    public long PartCount { get; private set; }

    /// <summary>Good parts made.</summary>
    public long GoodCount { get; private set; }

    /// <summary>Scrapped parts.</summary>
    public long ScrapCount => PartCount - GoodCount;

    /// <summary>The active fault's code; 0 when none.</summary>
    public int FaultCode { get; private set; }

    /// <summary>Time spent running.</summary>
    public TimeSpan RunTime { get; private set; }

    /// <summary>Planned production time (all simulated time: the plant runs around the clock).</summary>
    public TimeSpan PlannedTime { get; private set; }

    /// <summary>How long the current fault has lasted.</summary>
    public TimeSpan FaultedFor { get; private set; }

    /// <summary>The ideal cycle time: one part at top speed.</summary>
    public static TimeSpan IdealCycleTime => TimeSpan.FromMinutes(1 / MaxSpeed);

    /// <summary>Starts production; false with a reason when faulted.</summary>
    internal string? Start()
    {
        if (State == SimulatedMachineState.Faulted) return "Faulted: reset first.";
        State = SimulatedMachineState.Running;
        return null;
    }

    /// <summary>Stops production.</summary>
    internal void Stop()
    {
        if (State == SimulatedMachineState.Running) State = SimulatedMachineState.Idle;
    }

    /// <summary>Clears a fault (the machine goes Idle); false with a reason when not faulted.</summary>
    internal string? Reset()
    {
        if (State != SimulatedMachineState.Faulted) return "Not faulted.";
        State = SimulatedMachineState.Idle;
        FaultCode = 0;
        FaultedFor = TimeSpan.Zero;
        return null;
    }

    /// <summary>Faults the machine with a code.</summary>
    internal void Fault(int code)
    {
        State = SimulatedMachineState.Faulted;
        FaultCode = code;
        FaultedFor = TimeSpan.Zero;
    }

    /// <summary>Advances the physics by <paramref name="dt"/>.</summary>
    internal void Step(TimeSpan dt, Random rng, SimulatorOptions options)
    {
        var seconds = dt.TotalSeconds;
        PlannedTime += dt;
        if (State == SimulatedMachineState.Faulted)
        {
            FaultedFor += dt;
            if (options.AutoResetAfter > TimeSpan.Zero && FaultedFor >= options.AutoResetAfter)
            {
                Reset();
                Start();
            }
        }
        else if (State == SimulatedMachineState.Running && options.FaultRate > 0)
        {
            var p = 1 - Math.Exp(-options.FaultRate / 3600 * seconds);
            if (rng.NextDouble() < p) Fault(1 + rng.Next(5));
        }

        var running = State == SimulatedMachineState.Running;
        var targetSpeed = running ? SpeedSetpoint : 0;
        var ramp = SpeedRamp * seconds;
        Speed = Speed < targetSpeed ? Math.Min(targetSpeed, Speed + ramp) : Math.Max(targetSpeed, Speed - 3 * ramp);

        var targetTemperature = running ? TemperatureSetpoint : Ambient;
        var alpha = 1 - Math.Exp(-seconds / ThermalTimeConstant.TotalSeconds);
        Temperature += (targetTemperature - Temperature) * alpha + Gaussian(rng) * 0.2 * Math.Sqrt(seconds);

        Pressure = Math.Max(0, 1 + 4 * Speed / MaxSpeed + Gaussian(rng) * 0.05);

        if (running)
        {
            RunTime += dt;
            _partFraction += Speed / 60 * seconds;
            var parts = (long)_partFraction;
            _partFraction -= parts;
            var off = Math.Abs(Temperature - TemperatureSetpoint);
            var scrap = Math.Min(1, options.ScrapRate * (1 + Math.Max(0, off - 5) / 5));
            for (long i = 0; i < parts; i++)
            {
                PartCount++;
                if (rng.NextDouble() >= scrap) GoodCount++;
            }
        }
    }

    /// <summary>The tag values now.</summary>
    internal void Write(Span<TagUpdate> into, DateTimeOffset at, long sequence)
    {
        var i = 0;
        TagUpdate U(string tag, TagValue value) => new(tag, value, TagQuality.Good, at, sequence);
        into[i++] = U(TagNames.State, TagValue.FromString(State.ToString()));
        into[i++] = U(TagNames.Running, TagValue.FromBoolean(State == SimulatedMachineState.Running));
        into[i++] = U(TagNames.Faulted, TagValue.FromBoolean(State == SimulatedMachineState.Faulted));
        into[i++] = U(TagNames.Temperature, TagValue.FromDouble(Math.Round(Temperature, 2)));
        into[i++] = U(TagNames.Pressure, TagValue.FromDouble(Math.Round(Pressure, 3)));
        into[i++] = U(TagNames.Speed, TagValue.FromDouble(Math.Round(Speed, 2)));
        into[i++] = U(TagNames.SpeedSetpoint, TagValue.FromDouble(SpeedSetpoint));
        into[i++] = U(TagNames.TemperatureSetpoint, TagValue.FromDouble(TemperatureSetpoint));
        into[i++] = U(TagNames.PartCount, TagValue.FromInteger(PartCount));
        into[i++] = U(TagNames.GoodCount, TagValue.FromInteger(GoodCount));
        into[i++] = U(TagNames.ScrapCount, TagValue.FromInteger(ScrapCount));
        into[i++] = U(TagNames.FaultCode, TagValue.FromInteger(FaultCode));
        into[i++] = U(TagNames.ActiveAlarms, TagValue.FromInteger(FaultCode != 0 ? 1 : 0));
        into[i++] = U(TagNames.RunTime, TagValue.FromDouble(RunTime.TotalSeconds));
        into[i++] = U(TagNames.PlannedTime, TagValue.FromDouble(PlannedTime.TotalSeconds));
        into[i] = U(TagNames.IdealCycleTime, TagValue.FromDouble(IdealCycleTime.TotalSeconds));
    }

    private static double Gaussian(Random rng)
    {
        var u1 = 1 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>The simulator's tag names.</summary>
public static class TagNames
{
    /// <summary>"Running", "Idle" or "Faulted".</summary>
    public const string State = "state";
    /// <summary>True while Running (for a twin's status mapping).</summary>
    public const string Running = "running";
    /// <summary>True while Faulted (for a twin's status mapping).</summary>
    public const string Faulted = "faulted";
    /// <summary>Process temperature, degC.</summary>
    public const string Temperature = "temperature";
    /// <summary>Hydraulic pressure, bar.</summary>
    public const string Pressure = "pressure";
    /// <summary>Actual speed, parts/min.</summary>
    public const string Speed = "speed";
    /// <summary>Writable speed setpoint, 0..120 parts/min.</summary>
    public const string SpeedSetpoint = "speedSetpoint";
    /// <summary>Writable temperature setpoint, 20..250 degC.</summary>
    public const string TemperatureSetpoint = "temperatureSetpoint";
    /// <summary>Parts made.</summary>
    public const string PartCount = "partCount";
    /// <summary>Good parts made.</summary>
    public const string GoodCount = "goodCount";
    /// <summary>Scrapped parts.</summary>
    public const string ScrapCount = "scrapCount";
    /// <summary>Active fault code, 0 when none.</summary>
    public const string FaultCode = "faultCode";
    /// <summary>Active alarms (1 while faulted).</summary>
    public const string ActiveAlarms = "activeAlarms";
    /// <summary>Seconds spent running (OEE).</summary>
    public const string RunTime = "runTime";
    /// <summary>Seconds of planned production (OEE).</summary>
    public const string PlannedTime = "plannedTime";
    /// <summary>Ideal seconds per part (OEE).</summary>
    public const string IdealCycleTime = "idealCycleTime";
    /// <summary>Command methods: Start, Stop, Reset.</summary>
    public const string MethodStart = "Start";
    /// <summary>Stops production.</summary>
    public const string MethodStop = "Stop";
    /// <summary>Clears a fault.</summary>
    public const string MethodReset = "Reset";
}
