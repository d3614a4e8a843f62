namespace Imv.Grains.Interfaces.Twins;

/// <summary>How a twin is coupled to its physical counterpart.</summary>
public enum CouplingMode : byte
{
    /// <summary>Telemetry flows in and commands flow out through the twin's gateway.</summary>
    MutualDependence = 0,
    /// <summary>Telemetry flows in; every command is rejected (a monitored, not controlled, machine).</summary>
    OneWayInfluence = 1,
    /// <summary>No link to a machine: a simulation-only twin. Commands never reach a gateway; a tag write
    /// that passes every check is applied to the twin's own state (marked Applied with reason "simulated").</summary>
    NoLinks = 2,
}
