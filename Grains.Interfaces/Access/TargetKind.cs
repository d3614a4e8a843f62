namespace Imv.Grains.Interfaces.Access;

/// <summary>What an endpoint's or a grain method's target is, for the scope check.</summary>
public enum TargetKind
{
    /// <summary>No single target (a listing, a creation whose target is in the body).</summary>
    None,
    /// <summary>A twin id.</summary>
    Twin,
    /// <summary>An organization id.</summary>
    Organization,
    /// <summary>A control loop id (its output twin is the scope).</summary>
    Loop,
    /// <summary>An asset id (shared by id, or by the twin it is bound to).</summary>
    Asset,
    /// <summary>An avatar id that must be the caller's own unless the reach is Everywhere.</summary>
    Self,
    /// <summary>The target is in the body: the gate checks the role's reach only, the endpoint checks the scope.</summary>
    Body,
}
