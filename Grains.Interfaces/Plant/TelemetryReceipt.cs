namespace Imv.Grains.Interfaces.Plant;

/// <summary>Tells a gateway when readings it handed to an <see cref="IPlantEventSink"/> are stored by their twins,
/// so it acknowledges the plant's messages (MQTT QoS 1/2) only then and an acknowledged message survives a crash
/// of the silo. One receipt covers any number of <c>WriteTelemetryAsync</c> calls: the sink enters it per call and
/// exits when that call's readings are stored (or their ingest failed, which the sink logs); the gateway seals
/// it after its last call, and <see cref="Stored"/> completes once it is sealed and every call has exited.</summary>
public sealed class TelemetryReceipt
{
    private readonly TaskCompletionSource _stored = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _open = 1; // the issuer's own hold, released by Seal

    /// <summary>Completes when the receipt is sealed and every call that entered it has exited.</summary>
    public Task Stored => _stored.Task;

    /// <summary>A sink took readings under this receipt; it calls <see cref="Exit"/> once they are stored.</summary>
    public void Enter()
    {
        if (Interlocked.Increment(ref _open) <= 1)
            throw new InvalidOperationException("The receipt is already complete; a new call needs a new receipt.");
    }

    /// <summary>Readings taken under <see cref="Enter"/> are stored (or their ingest failed and was logged).</summary>
    public void Exit()
    {
        int open = Interlocked.Decrement(ref _open);
        if (open == 0) _stored.TrySetResult();
        else if (open < 0) throw new InvalidOperationException("Exit called more often than Enter and Seal.");
    }

    /// <summary>The issuer handed in everything this receipt covers.</summary>
    public void Seal() => Exit();
}
