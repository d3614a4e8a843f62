namespace Imv.Grains.Time;

/// <summary>The clock of the twins and control loops: a <see cref="TimeProvider"/> registered under <see cref="Key"/>
/// (keyed) is theirs, otherwise the host's <see cref="TimeProvider"/>. A replay's sandbox registers its recorded-time
/// clock under the key only: the Orleans runtime of the sandbox keeps the host's clock (its activation collector, for
/// one, refuses times in the past).</summary>
public static class GrainClock
{
    /// <summary>The service key of the grains' own clock.</summary>
    public const string Key = "imv.grain-clock";
}
