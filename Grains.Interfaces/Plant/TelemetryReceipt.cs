namespace Imv.Grains.Interfaces.Plant;

/// <summary>Tells a gateway when readings it handed to an <see cref="IPlantEventSink"/> are stored by their twins,
/// so it acknowledges the plant's messages (MQTT QoS 1/2) only then and an acknowledged message survives a crash
/// of the silo. One receipt covers any number of <c>WriteTelemetryAsync</c> calls: the sink enters it per call and
/// exits when that call's readings are stored, or abandons it when they could not be stored (the sink retries first);
/// the gateway seals it after its last call. <see cref="Stored"/> completes once it is sealed and every call has
/// exited, and faults when any call abandoned it: the gateway must then not acknowledge the messages.</summary>
public sealed class TelemetryReceipt
{
    private readonly TaskCompletionSource _stored = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _open = 1; // the issuer's own hold, released by Seal
    private Exception? _failure;

    /// <summary>Completes when the receipt is sealed and every call that entered it has exited; faults (with the first
    /// reason given to <see cref="Abandon"/>) when some readings were not stored.</summary>
    public Task Stored => _stored.Task;

    /// <summary>A sink took readings under this receipt; it calls <see cref="Exit"/> once they are stored.</summary>
    public void Enter()
    {
        if (Interlocked.Increment(ref _open) <= 1)
            throw new InvalidOperationException("The receipt is already complete; a new call needs a new receipt.");
    }

    /// <summary>Readings taken under <see cref="Enter"/> are stored.</summary>
    public void Exit()
    {
        int open = Interlocked.Decrement(ref _open);
        if (open == 0)
        {
            if (Volatile.Read(ref _failure) is { } failure) _stored.TrySetException(failure);
            else _stored.TrySetResult();
        }
        else if (open < 0) throw new InvalidOperationException("Exit called more often than Enter and Seal.");
    }

    /// <summary>Readings taken under <see cref="Enter"/> could not be stored (<paramref name="reason"/>): the receipt
    /// exits that call, and <see cref="Stored"/> faults instead of completing.</summary>
    public void Abandon(Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        Interlocked.CompareExchange(ref _failure, reason, null);
        Exit();
    }

    /// <summary>The issuer handed in everything this receipt covers.</summary>
    public void Seal() => Exit();
}
