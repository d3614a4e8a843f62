namespace Imv.Runtime.Messaging;

/// <summary>The envelope of one grain call: target, method, arguments, call chain and deadline. Generated
/// request types derive from the generic Request class and carry the arguments as fields. A request
/// also serves as the synchronization context of its own turns, so continuations of the grain code
/// come back to the activation.</summary>
public abstract class Message : SynchronizationContext
{
    /// <summary>The grain called.</summary>
    public GrainId TargetId;

    /// <summary>Deadline as a <see cref="System.Diagnostics.Stopwatch"/> timestamp; 0 for none.</summary>
    public long Deadline;

    /// <summary>The grains waiting on this call, nearest first; null for a call from outside any grain.</summary>
    public CallChain? CallChain;

    /// <summary>Options of this call.</summary>
    public MessageFlags Flags;

    /// <summary>A process-wide id given to a request when it first calls another grain, so that calls coming
    /// back along its chain can be recognized while (and only while) it still runs; 0 until then.</summary>
    public long ChainId;

    private static long s_nextChainId;

    /// <summary>This request's chain id, assigned on first use.</summary>
    internal long EnsureChainId()
    {
        if (ChainId == 0) ChainId = Interlocked.Increment(ref s_nextChainId);
        return ChainId;
    }

    /// <summary>The caller's span, when tracing is on: the callee's span links to it, also across silos.</summary>
    public System.Diagnostics.ActivityContext TraceParent;

    /// <summary>When the call was sent (<see cref="System.Diagnostics.Stopwatch"/> timestamp), when latency is recorded; else 0.</summary>
    public long SentAt;

    /// <summary>The activation running this request; told when the grain method finishes. Null outside a turn.</summary>
    public IInvocationCallback? Callback;

    /// <summary>Where the outcome goes when the caller is in another silo; null for local callers.</summary>
    public IResponder? Responder;

    /// <summary>The callee's span while the call runs, when tracing is on.</summary>
    internal System.Diagnostics.Activity? Span;

    /// <summary>Registers the call's deadline with the silo's tracker.</summary>
    internal abstract void Track(PendingCallTracker tracker);

    /// <summary>Counted as interleavable by the mailbox holding it.</summary>
    internal bool CountedInterleavable;

    /// <summary>Link in an activation's mailbox.</summary>
    internal Message? Next;

    /// <summary>The interface id (generated).</summary>
    public abstract uint InterfaceId { get; }

    /// <summary>The method id within the interface (generated).</summary>
    public abstract uint MethodId { get; }

    /// <summary>"Interface.Method", for errors, logs and spans (generated).</summary>
    public abstract string MethodName { get; }

    /// <summary>Runs the call on <paramref name="grain"/>; completion (result, exception) is reported through
    /// the request itself.</summary>
    public abstract void Invoke(object grain);

    /// <summary>Completes the call with an exception.</summary>
    public abstract void Fail(Exception exception);

    /// <summary>Completes the caller from an encoded response of another silo.</summary>
    public abstract void CompleteFromResponse(ref Serialization.CodecReader reader);

    /// <summary>Encodes the arguments (generated).</summary>
    public abstract void WriteArguments(ref Serialization.CodecWriter writer);

    /// <summary>Decodes the arguments (generated).</summary>
    public abstract void ReadArguments(ref Serialization.CodecReader reader);
}

/// <summary>Options of one call.</summary>
[Flags]
public enum MessageFlags : byte
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>The caller does not wait for a result.</summary>
    OneWay = 1,
    /// <summary>May interleave with any other call on the activation.</summary>
    AlwaysInterleave = 2,
    /// <summary>Read-only: may interleave with other read-only calls.</summary>
    ReadOnly = 4,
    /// <summary>Belongs to one activation (a timer tick, an explicit stream subscription): dropped, not
    /// re-routed, when that activation goes away.</summary>
    ActivationBound = 8,
}

/// <summary>An immutable list of the requests waiting on a call chain, newest first: each entry names the
/// grain and the id of its request that made the call.</summary>
/// <param name="GrainId">A grain that is waiting.</param>
/// <param name="RequestId">Its request that is waiting (see <see cref="Message.ChainId"/>).</param>
/// <param name="Parent">The rest of the chain.</param>
public sealed record CallChain(GrainId GrainId, long RequestId, CallChain? Parent)
{
    /// <summary>True when <paramref name="id"/> appears somewhere on this chain.</summary>
    public bool Contains(GrainId id)
    {
        for (var c = this; c is not null; c = c.Parent)
            if (c.GrainId == id) return true;
        return false;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var parts = new List<string>();
        for (var c = this; c is not null; c = c.Parent) parts.Add(c.GrainId.ToString());
        parts.Reverse();
        return string.Join(" -> ", parts);
    }
}
