using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;
using Imv.Runtime.Serialization;

namespace Imv.Runtime.Messaging;

/// <summary>A call whose caller awaits a <typeparamref name="TResult"/>. Generated per grain method: the
/// arguments are fields, <see cref="InvokeCore"/> calls the method, and the codecs of the arguments and
/// result are generated too. The request itself is the awaited value source, so a local call allocates
/// one object.</summary>
/// <typeparam name="TResult">The result type; <see cref="Unit"/> for methods without one.</typeparam>
public abstract class Request<TResult> : Message, IValueTaskSource<TResult>, IValueTaskSource, ITrackedCall
{
    private ManualResetValueTaskSourceCore<TResult> _core;
    private int _callerCompleted;

    /// <summary>Calls the grain method (generated).</summary>
    protected abstract ValueTask<TResult> InvokeCore(object grain);

    /// <summary>Encodes a result as field 0 (generated).</summary>
    public abstract void WriteResult(ref CodecWriter writer, TResult result);

    /// <summary>Decodes a result field (generated).</summary>
    public abstract TResult ReadResult(ref CodecReader reader, WireType wireType);

    /// <summary>The awaitable the proxy hands to the caller.</summary>
    public ValueTask<TResult> AsValueTask() => new(this, _core.Version);

    /// <summary>The awaitable as a Task, for interfaces declared with Task.</summary>
    public Task<TResult> AsTask() => new ValueTask<TResult>(this, _core.Version).AsTask();

    /// <summary>The awaitable without a result.</summary>
    public ValueTask AsUntypedValueTask() => new(this, _core.Version);

    /// <summary>The awaitable as a Task without a result.</summary>
    public Task AsUntypedTask() => new ValueTask(this, _core.Version).AsTask();

    /// <inheritdoc />
    public sealed override void Invoke(object grain)
    {
        ValueTask<TResult> pending;
        try
        {
            pending = InvokeCore(grain);
        }
        catch (Exception exception)
        {
            Finish(default!, exception);
            return;
        }
        if (pending.IsCompletedSuccessfully)
        {
            Finish(pending.Result, null);
            return;
        }
        _ = AwaitAndFinishAsync(pending);
    }

    private async Task AwaitAndFinishAsync(ValueTask<TResult> pending)
    {
        TResult result;
        try
        {
            // Resumes through this request's synchronization context: back on the activation.
            result = await pending;
        }
        catch (Exception exception)
        {
            Finish(default!, exception);
            return;
        }
        Finish(result, null);
    }

    private void Finish(TResult result, Exception? exception)
    {
        var callback = Callback;
        Callback = null;
        callback?.OnInvocationFinished(this);
        // The caller's continuation may run inline on this thread: it must not see the grain's turn as its own.
        if (SynchronizationContext.Current is not null) SynchronizationContext.SetSynchronizationContext(null);
        RuntimeContext.CurrentMessage = null;
        RuntimeContext.CurrentActivation = null;
        var responder = Responder;
        if (responder is not null)
        {
            if (exception is null) responder.SendResult(this, result);
            else responder.SendException(this, exception);
            return;
        }
        if (exception is null) SetResult(result);
        else Fail(exception);
    }

    /// <summary>Completes the caller with a result (ignored when the call already timed out).</summary>
    public void SetResult(TResult result)
    {
        if (Interlocked.Exchange(ref _callerCompleted, 1) != 0) return;
        Tracker?.Remove(this);
        _core.SetResult(result);
    }

    /// <inheritdoc />
    public sealed override void Fail(Exception exception)
    {
        if (Interlocked.Exchange(ref _callerCompleted, 1) != 0) return;
        Tracker?.Remove(this);
        _core.SetException(exception);
    }

    /// <summary>True once the caller has been given a result, an exception or a timeout.</summary>
    public bool IsCallerCompleted => Volatile.Read(ref _callerCompleted) != 0;

    /// <summary>Completes the caller from an encoded response (remote calls).</summary>
    public sealed override void CompleteFromResponse(ref CodecReader reader)
    {
        TResult result = default!;
        while (!reader.End)
        {
            var (id, wireType) = reader.ReadTag();
            if (id == 0) result = ReadResult(ref reader, wireType);
            else reader.SkipField(wireType);
        }
        SetResult(result);
    }

    /// <summary>Grain method invokers for Task-returning methods.</summary>
    protected static ValueTask<Unit> FromTask(Task task)
    {
        if (task.IsCompletedSuccessfully) return default;
        return new ValueTask<Unit>(AwaitTask(task));
    }

    /// <summary>Grain method invokers for ValueTask-returning methods.</summary>
    protected static ValueTask<Unit> FromValueTask(ValueTask task)
    {
        if (task.IsCompletedSuccessfully) return default;
        return new ValueTask<Unit>(AwaitValueTask(task));
    }

    private static async Task<Unit> AwaitTask(Task task)
    {
        await task;
        return default;
    }

    private static async Task<Unit> AwaitValueTask(ValueTask task)
    {
        await task;
        return default;
    }

    /// <summary>Continuations of the grain code post here: they run as turns of the activation.</summary>
    public sealed override void Post(SendOrPostCallback d, object? state)
    {
        var turns = Callback;
        if (turns is not null) turns.PostContinuation(this, d, state);
        else ThreadPool.UnsafeQueueUserWorkItem(static s => s.d(s.state), (d, state), preferLocal: false);
    }

    /// <inheritdoc />
    public sealed override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("Synchronous Send on a grain's context would block its turn.");

    /// <inheritdoc />
    public sealed override SynchronizationContext CreateCopy() => this;

    TResult IValueTaskSource<TResult>.GetResult(short token) => _core.GetResult(token);

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<TResult>.GetStatus(short token) => _core.GetStatus(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<TResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    long ITrackedCall.Deadline => Deadline;

    int ITrackedCall.TrackerSlot { get; set; } = -1;

    /// <summary>The tracker watching this call's deadline, if any.</summary>
    internal PendingCallTracker? Tracker;

    internal override void Track(PendingCallTracker tracker)
    {
        Tracker = tracker;
        tracker.Add(this);
        // A caller completed before the slot was taken (an answer faster than this thread) leaves no slot behind.
        if (IsCallerCompleted) tracker.Remove(this);
    }

    void ITrackedCall.TimeOut() =>
        Fail(new TimeoutException($"Call {MethodName} to {TargetId} did not complete before its deadline."));

    /// <summary>Rethrows an exception keeping its stack.</summary>
    protected static void Rethrow(Exception exception) => ExceptionDispatchInfo.Throw(exception);
}
