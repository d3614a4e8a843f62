using Imv.Grains.Interfaces.Access;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.ControlLoops;

/// <summary>A closed loop, keyed by loop id: monitors a measured tag, analyses it against a setpoint with
/// a control law, and adjusts an output tag through the command path under its own identity (issuer kind
/// ControlLoop, issuer the loop id; the output twin must list the loop id in its configuration).</summary>
public interface IControlLoopGrain : IGrainWithStringKey
{
    /// <summary>Sets up the loop (replacing the configuration; the law's memory restarts). Throws
    /// <see cref="ArgumentException"/> for an invalid configuration.</summary>
    [SiloOnly]
    Task ConfigureAsync(ControlLoopConfiguration configuration);

    /// <summary>Starts iterating every sample period; stays enabled across restarts.</summary>
    [ClientRight(Right.Configure, TargetKind.Loop)]
    Task EnableAsync();

    /// <summary>Stops iterating.</summary>
    [ClientRight(Right.Configure, TargetKind.Loop)]
    Task DisableAsync();

    /// <summary>Changes the setpoint.</summary>
    [SiloOnly]
    Task SetSetpointAsync(double setpoint);

    /// <summary>Runs one iteration now (whether enabled or not) and returns it.</summary>
    [ClientRight(Right.Configure, TargetKind.Loop)]
    Task<LoopIteration> RunOnceAsync();

    /// <summary>Sets the loop's memory to continue from <paramref name="lastOutput"/> (a replay's sandbox loop at the replay's
    /// start: the value its output tag held then): the last output (clamped to the output limits), a PID restarted
    /// bumplessly from it, an on/off law on when the output is nearer its on output. Refused
    /// (<see cref="InvalidOperationException"/>) for a loop not configured, enabled, or that already ran an iteration.</summary>
    [SiloOnly]
    Task SeedAsync(double lastOutput);

    /// <summary>The measured twin applied new readings: run one iteration now, besides the periodic ones
    /// (event-driven loops; the twin lists this loop in <see cref="Twins.TwinConfiguration.TriggeredLoops"/>).
    /// Ignored while the loop is disabled.</summary>
    /// <param name="twinId">The twin whose readings triggered the loop.</param>
    /// <param name="changed">The tags those readings touched, as the twin holds them after applying them (may be
    /// empty): when the loop's measured tag is among them the loop uses it instead of reading it back.</param>
    [SiloOnly]
    [OneWay]
    Task OnMeasurementAsync(string twinId, IReadOnlyList<Twins.TagSnapshot> changed);

    /// <summary>Wakes the loop: activating it is enough, since an enabled loop restarts its timer when it
    /// activates (and runs at once when a sample is overdue). A twin calls it for the loops it lists
    /// (<see cref="Twins.TwinConfiguration.ControlLoops"/>, <see cref="Twins.TwinConfiguration.TriggeredLoops"/>)
    /// when it activates, so that loops resume as soon as their plant does after a silo restart, without
    /// waiting for the keep-alive reminder. Does nothing else.</summary>
    [SiloOnly]
    [OneWay]
    Task WakeAsync();

    /// <summary>Deletes the loop: it stops, forgets its configuration and history, and stays deleted (a later
    /// <see cref="ConfigureAsync"/> brings it back). The caller removes it from its twin's authorized loops.
    /// Returns the configuration it had; null when it had none.</summary>
    [SiloOnly]
    Task<ControlLoopConfiguration?> DeleteAsync();

    /// <summary>The loop's configuration, state and recent iterations.</summary>
    [ClientRight(Right.Read, TargetKind.Loop)]
    [ReadOnly]
    Task<ControlLoopStatus> GetStatusAsync();
}
