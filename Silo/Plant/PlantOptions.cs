using System.Globalization;

namespace Imv.Silo.Plant;

/// <summary>Settings of the plant bootstrap (section <see cref="SectionName"/>): how the silo sets up the twins,
/// organizations, avatars, control loops and identities of the simulated plant. Described in docs/main-job.md.</summary>
public sealed class PlantOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Plant";

    /// <summary>Whether the silo sets up the simulated plant's grid at start (only when the simulator is enabled).</summary>
    public bool Bootstrap { get; set; } = true;

    /// <summary>The id of the enterprise at the root of the organization tree.</summary>
    public string EnterpriseId { get; set; } = "enterprise";

    /// <summary>The enterprise's display name.</summary>
    public string EnterpriseName { get; set; } = "Simulated enterprise";

    /// <summary>Share of machines (0..1) that get a temperature control loop.</summary>
    public double ControlLoopShare { get; set; } = 0.1;

    /// <summary>Whether new control loops start enabled (a loop disabled through the API stays disabled).</summary>
    public bool EnableControlLoops { get; set; } = true;

    /// <summary>Sample period of the control loops.</summary>
    public TimeSpan ControlLoopPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Temperature setpoint of the control loops, degC.</summary>
    public double ControlLoopSetpoint { get; set; } = 200;

    /// <summary>Temperature high alarm limit, degC.</summary>
    public double TemperatureHigh { get; set; } = 240;

    /// <summary>Temperature high-high alarm limit, degC (counts as faulted).</summary>
    public double TemperatureHighHigh { get; set; } = 260;

    /// <summary>Pressure high alarm limit, bar.</summary>
    public double PressureHigh { get; set; } = 4.9;

    /// <summary>Pressure high-high alarm limit, bar (counts as faulted).</summary>
    public double PressureHighHigh { get; set; } = 5.5;

    /// <summary>Prefix of the industrial identifiers registered for machines (<c>{prefix}/{machine id}</c>).</summary>
    public string HandlePrefix { get; set; } = "88.100.1";

    /// <summary>Workers registered per line (each supervised by its site's supervisor).</summary>
    public int WorkersPerLine { get; set; } = 1;

    /// <summary>Most grain calls the bootstrap runs at once.</summary>
    public int Parallelism { get; set; } = 32;

    /// <summary>Every problem, each naming its key and value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        string V(double d) => d.ToString(CultureInfo.InvariantCulture);
        if (string.IsNullOrWhiteSpace(EnterpriseId)) errors.Add($"{SectionName}:{nameof(EnterpriseId)} must not be empty.");
        if (double.IsNaN(ControlLoopShare) || ControlLoopShare < 0 || ControlLoopShare > 1)
            errors.Add($"{SectionName}:{nameof(ControlLoopShare)} must be between 0 and 1 (was {V(ControlLoopShare)}).");
        if (ControlLoopPeriod <= TimeSpan.Zero)
            errors.Add($"{SectionName}:{nameof(ControlLoopPeriod)} must be positive (was {ControlLoopPeriod.ToString("c", CultureInfo.InvariantCulture)}).");
        if (ControlLoopSetpoint < 20 || ControlLoopSetpoint > 250)
            errors.Add($"{SectionName}:{nameof(ControlLoopSetpoint)} must be between 20 and 250 degC (was {V(ControlLoopSetpoint)}).");
        if (!(TemperatureHigh <= TemperatureHighHigh))
            errors.Add($"{SectionName}:{nameof(TemperatureHigh)} ({V(TemperatureHigh)}) must not exceed {nameof(TemperatureHighHigh)} ({V(TemperatureHighHigh)}).");
        if (!(PressureHigh <= PressureHighHigh))
            errors.Add($"{SectionName}:{nameof(PressureHigh)} ({V(PressureHigh)}) must not exceed {nameof(PressureHighHigh)} ({V(PressureHighHigh)}).");
        if (!Grains.Interfaces.Identity.IdentifierParser.TryParse(HandlePrefix + "/x", out _, out var handleError))
            errors.Add($"{SectionName}:{nameof(HandlePrefix)} is invalid (was '{HandlePrefix}'): {handleError}");
        if (WorkersPerLine < 0 || WorkersPerLine > 100)
            errors.Add($"{SectionName}:{nameof(WorkersPerLine)} must be between 0 and 100 (was {WorkersPerLine}).");
        if (Parallelism < 1 || Parallelism > 1024)
            errors.Add($"{SectionName}:{nameof(Parallelism)} must be between 1 and 1024 (was {Parallelism}).");
        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem, when there is one.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException("Invalid plant settings: " + string.Join(" ", errors));
    }
}
