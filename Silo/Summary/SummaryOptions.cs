namespace Imv.Silo.Summary;

/// <summary>Settings of the live terminal summary, section <see cref="SectionName"/>.</summary>
public sealed class SummaryOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Silo:Console";

    /// <summary>Whether the summary is shown at all.</summary>
    public bool Summary { get; set; } = true;

    /// <summary>How often the live (interactive terminal) summary refreshes.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a plain summary line is printed when the output is redirected (not a terminal).</summary>
    public TimeSpan PlainInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether the live summary can be drawn: enabled, and standard output is an interactive terminal.</summary>
    public bool LiveEnabled => Summary && !Console.IsOutputRedirected && Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive;
}
