using System.Globalization;

namespace Imv.Gateways.Simulation;

/// <summary>Settings of the simulated plant, bound from the configuration section <see cref="SectionName"/>.
/// The defaults give 2 sites x 10 lines x 50 machines = 1,000 machines. Every setting is described in
/// docs/simulator.md.</summary>
public sealed record SimulatorOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Simulator";

    /// <summary>Whether the silo runs the simulated plant.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Number of sites (factories).</summary>
    public int Sites { get; set; } = 2;

    /// <summary>Production lines per site.</summary>
    public int LinesPerSite { get; set; } = 10;

    /// <summary>Machines per line.</summary>
    public int MachinesPerLine { get; set; } = 50;

    /// <summary>Simulated time per tick; in hosted mode also the real period between ticks.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Random faults per running machine per hour (a Poisson rate).</summary>
    public double FaultRate { get; set; } = 0.5;

    /// <summary>After how long a faulted machine is reset and restarted by its (simulated) operator; zero: never,
    /// only a Reset command clears a fault.</summary>
    public TimeSpan AutoResetAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Fraction of parts scrapped when the temperature is on its setpoint (more when it is off).</summary>
    public double ScrapRate { get; set; } = 0.02;

    /// <summary>Fraction of machines that start in Running (the rest start Idle).</summary>
    public double InitiallyRunning { get; set; } = 0.9;

    /// <summary>Seed of the random generator: the same seed and the same commands give the same plant.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Machine twin id template; placeholders <c>{site}</c>, <c>{line}</c>, <c>{machine}</c> (1-based), each
    /// with an optional .NET format such as <c>{line:00}</c>. Must contain all three.</summary>
    public string TwinIdTemplate { get; set; } = "site-{site}.line-{line:00}.machine-{machine:000}";

    /// <summary>The gateway name twins know the simulator by (commands go out through it).</summary>
    public string GatewayName { get; set; } = "simulator";

    /// <summary>Total machines.</summary>
    public int MachineCount => Sites * LinesPerSite * MachinesPerLine;

    /// <summary>Every problem with the settings, each naming its key and value; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        void Range(string key, double value, double min, double max)
        {
            if (double.IsNaN(value) || value < min || value > max)
                errors.Add($"{SectionName}:{key} must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)} (was {value.ToString(CultureInfo.InvariantCulture)}).");
        }
        Range(nameof(Sites), Sites, 1, 1_000);
        Range(nameof(LinesPerSite), LinesPerSite, 1, 1_000);
        Range(nameof(MachinesPerLine), MachinesPerLine, 1, 10_000);
        if ((long)Sites * LinesPerSite * MachinesPerLine > 1_000_000)
            errors.Add($"{SectionName}: Sites x LinesPerSite x MachinesPerLine must be at most 1000000 (was {(long)Sites * LinesPerSite * MachinesPerLine}).");
        if (TickInterval < TimeSpan.FromMilliseconds(10) || TickInterval > TimeSpan.FromMinutes(10))
            errors.Add($"{SectionName}:{nameof(TickInterval)} must be between 00:00:00.010 and 00:10:00 (was {TickInterval.ToString("c", CultureInfo.InvariantCulture)}).");
        Range(nameof(FaultRate), FaultRate, 0, 3_600);
        if (AutoResetAfter < TimeSpan.Zero)
            errors.Add($"{SectionName}:{nameof(AutoResetAfter)} must not be negative (was {AutoResetAfter.ToString("c", CultureInfo.InvariantCulture)}).");
        Range(nameof(ScrapRate), ScrapRate, 0, 1);
        Range(nameof(InitiallyRunning), InitiallyRunning, 0, 1);
        if (string.IsNullOrWhiteSpace(GatewayName))
            errors.Add($"{SectionName}:{nameof(GatewayName)} must not be empty (was '{GatewayName}').");
        var templateError = TwinIdTemplateProblem(TwinIdTemplate);
        if (templateError is not null) errors.Add($"{SectionName}:{nameof(TwinIdTemplate)} {templateError} (was '{TwinIdTemplate}').");
        return errors;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem, when there is one.</summary>
    public void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0) throw new ArgumentException("Invalid simulator settings: " + string.Join(" ", errors));
    }

    /// <summary>The twin id of a machine (1-based numbers).</summary>
    public string FormatTwinId(int site, int line, int machine) => FormatTemplate(TwinIdTemplate, site, line, machine);

    private static string? TwinIdTemplateProblem(string? template)
    {
        if (string.IsNullOrWhiteSpace(template)) return "must not be empty";
        foreach (var p in new[] { "site", "line", "machine" })
            if (!template.Contains("{" + p + "}", StringComparison.Ordinal) && !template.Contains("{" + p + ":", StringComparison.Ordinal))
                return $"must contain the placeholder {{{p}}}";
        try
        {
            var a = FormatTemplate(template, 1, 1, 1);
            var b = FormatTemplate(template, 1, 1, 2);
            if (a == b) return "must give distinct ids";
        }
        catch (FormatException e)
        {
            return "is not a valid template: " + e.Message;
        }
        return null;
    }

    private static string FormatTemplate(string template, int site, int line, int machine)
    {
        var sb = new System.Text.StringBuilder(template.Length + 8);
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c != '{') { sb.Append(c); continue; }
            var end = template.IndexOf('}', i);
            if (end < 0) throw new FormatException($"unclosed '{{' at {i}");
            var spec = template[(i + 1)..end];
            var colon = spec.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? spec : spec[..colon];
            var format = colon < 0 ? null : spec[(colon + 1)..];
            int value = name switch
            {
                "site" => site,
                "line" => line,
                "machine" => machine,
                _ => throw new FormatException($"unknown placeholder '{{{name}}}'"),
            };
            sb.Append(value.ToString(format, CultureInfo.InvariantCulture));
            i = end;
        }
        return sb.ToString();
    }
}
