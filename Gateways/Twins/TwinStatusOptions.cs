using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.Twins;

/// <summary>Which tags of a gateway's twins give their run state and OEE counts (<c>...:Status</c> of a gateway, or of
/// one twin under <c>...:Twins:{twinId}:Status</c>). Tag names are the twin's (an OPC UA browse name, a Sparkplug
/// metric name, a JSON key); every one is optional.</summary>
public sealed class TwinStatusOptions
{
    /// <summary>A boolean (or numeric, non-zero = true) tag: the machine is producing (Running), else Idle.</summary>
    public string? Running { get; set; }

    /// <summary>A boolean (or numeric) tag: the machine is stopped by a fault (Faulted). A High-high or Low-low alarm
    /// on any tag also counts as faulted.</summary>
    public string? Faulted { get; set; }

    /// <summary>A counter of parts made (OEE total count).</summary>
    public string? TotalCount { get; set; }

    /// <summary>A counter of good parts made (OEE good count).</summary>
    public string? GoodCount { get; set; }

    /// <summary>The ideal time for one part, in milliseconds (OEE performance); 0 when unknown.</summary>
    public double IdealCycleTimeMs { get; set; }

    /// <summary>The twin's <see cref="StatusMapping"/>; null when no tag is named.</summary>
    public StatusMapping? ToMapping() =>
        Running is null && Faulted is null && TotalCount is null && GoodCount is null ? null
            : new StatusMapping(Blank(Running), Blank(Faulted), Blank(TotalCount), Blank(GoodCount), TimeSpan.FromMilliseconds(IdealCycleTimeMs));

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    /// <summary>Adds a line per problem, each naming its key under <paramref name="key"/>.</summary>
    public void Validate(string key, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (!double.IsFinite(IdealCycleTimeMs) || IdealCycleTimeMs < 0)
            errors.Add($"{key}:IdealCycleTimeMs = {IdealCycleTimeMs} must be a finite number of milliseconds, 0 or more.");
        if (Running is null && Faulted is null && TotalCount is null && GoodCount is null && IdealCycleTimeMs > 0)
            errors.Add($"{key}: names no tag (Running, Faulted, TotalCount, GoodCount); IdealCycleTimeMs alone gives no status.");
    }
}
