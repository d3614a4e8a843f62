namespace Imv.Grains.Interfaces.Twins;

/// <summary>What a machine is doing, as far as its organization's aggregates are concerned.</summary>
public enum MachineRunState : byte
{
    /// <summary>Not known yet (no reading since activation).</summary>
    Unknown = 0,
    /// <summary>Producing.</summary>
    Running = 1,
    /// <summary>Powered and healthy but not producing (waiting, starved, blocked, stopped).</summary>
    Idle = 2,
    /// <summary>Stopped by a fault that needs a reset.</summary>
    Faulted = 3,
    /// <summary>The machine cannot be reached.</summary>
    Offline = 4,
}
