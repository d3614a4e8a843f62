using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Recording;
using Microsoft.Extensions.Logging;

namespace Imv.Grains.Machines;

/// <summary>The silo's services a machine twin uses, held once for all twins: a twin keeps one reference to this
/// instead of five of its own (40 bytes of every one of 100,000 idle activations; docs/performance.md).</summary>
internal sealed class MachineGrainServices
{
    // The set of the last twin activated: every twin of a silo gets the same services from the container, so this is
    // the instance almost every activation shares. Another silo in the same process (tests) makes its own.
    private static MachineGrainServices? s_last;

    private MachineGrainServices(IPlantGatewayRegistry? gateways, IMachineStatusPublisher? publisher, ITwinRecorder? recorder, TimeProvider time, ILogger logger)
    {
        Gateways = gateways;
        Publisher = publisher;
        Recorder = recorder;
        Time = time;
        Logger = logger;
    }

    public IPlantGatewayRegistry? Gateways { get; }

    public IMachineStatusPublisher? Publisher { get; }

    public ITwinRecorder? Recorder { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>The shared instance holding exactly these services (one is made when they differ from the last).</summary>
    public static MachineGrainServices For(IPlantGatewayRegistry? gateways, IMachineStatusPublisher? publisher, ITwinRecorder? recorder, TimeProvider time, ILogger logger)
    {
        var last = Volatile.Read(ref s_last);
        if (last is not null && ReferenceEquals(last.Gateways, gateways) && ReferenceEquals(last.Publisher, publisher)
            && ReferenceEquals(last.Recorder, recorder) && ReferenceEquals(last.Time, time) && ReferenceEquals(last.Logger, logger))
            return last;
        var made = new MachineGrainServices(gateways, publisher, recorder, time, logger);
        Volatile.Write(ref s_last, made);
        return made;
    }
}
