using System.Diagnostics;
using Imv.Runtime.Messaging;
using Imv.Runtime.Streams;

namespace Imv.Runtime;

/// <summary>One live activation: the grain object and its mailbox. Requests run in turns, one at a time
/// in arrival order, unless the class is [Reentrant], the method [AlwaysInterleave], or the request is
/// part of a call chain this activation is already waiting on (call-chain reentrancy: A calls B calls A
/// runs the inner call at once instead of deadlocking). The mailbox is an intrusive list of the messages
/// themselves, so an idle activation holds no queue objects; the activation schedules itself on the
/// thread pool once per burst of work.</summary>
internal sealed class ActivationData : IGrainContext, IInvocationCallback, IThreadPoolWorkItem, IGrainActivationContext
{
    private const int TurnBudget = 64;
    private readonly SiloRuntime _silo;
    private object? _grain;
    private Message? _head, _tail;
    private Continuation? _workHead, _workTail;
    private int _running;
    private int _interleavable;
    private bool _scheduled;
    private bool _deactivateOnIdle;
    private List<Message>? _parked;
    private List<GrainTimer>? _timers;
    private List<IFlushableState>? _states;

    public ActivationData(SiloRuntime silo, GrainId grainId, GrainClassInfo classInfo, long epoch)
    {
        _silo = silo;
        GrainId = grainId;
        ClassInfo = classInfo;
        Epoch = epoch;
        LastActivity = Environment.TickCount64;
        if (epoch > 0 && !classInfo.IsStatelessWorker) _partition = silo.Table.PartitionOf(grainId);
    }

    public GrainId GrainId { get; }

    public GrainClassInfo ClassInfo { get; }

    /// <summary>The fencing epoch of the partition lease under which this activation was created.</summary>
    public long Epoch { get; }

    public ActivationState State { get; private set; }

    public long LastActivity;

    public IGrainFactory GrainFactory => _silo;

    public IServiceProvider ServiceProvider => _silo.Services;

    public object? GrainInstance => _grain;

    /// <summary>True while calls may go straight to this activation: it lives in <paramref name="silo"/>, and
    /// neither deactivation nor a partition move has begun.</summary>
    public bool IsValidHere(SiloRuntime silo)
    {
        if (State > ActivationState.Valid || !ReferenceEquals(_silo, silo) || _partition < 0) return false;
        var table = silo.Table;
        return table.Epochs[_partition] == Epoch && table.Owners[_partition] == silo.Name;
    }

    private readonly int _partition = -1;

    /// <summary>True when nothing is queued or running (collectable).</summary>
    public bool IsIdle
    {
        get { lock (this) return _running == 0 && _head is null && _workHead is null; }
    }

    /// <summary>Hosts an object made callable by CreateObjectReference: no lifecycle, already valid.</summary>
    public static ActivationData ForObserver(SiloRuntime silo, GrainId id, object target)
    {
        var a = new ActivationData(silo, id, ObserverClassInfo, 0) { _grain = target, State = ActivationState.Valid };
        return a;
    }

    private static readonly GrainClassInfo ObserverClassInfo = new(typeof(object), "$observer", [], static (_, _) => throw new InvalidOperationException(), false, -1, false, []);

    /// <summary>Queues a message; one that arrives while the activation is going away is parked and routed again once it is gone.</summary>
    public void Enqueue(Message message)
    {
        bool schedule = false;
        lock (this)
        {
            if (State >= ActivationState.Deactivating)
            {
                (_parked ??= []).Add(message);
                return;
            }
            message.Next = null;
            if (_tail is null) _head = _tail = message;
            else { _tail.Next = message; _tail = message; }
            if (IsInterleavable(message)) { message.CountedInterleavable = true; _interleavable++; }
            if (!_scheduled) { _scheduled = schedule = true; }
        }
        if (schedule) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    private bool IsInterleavable(Message m)
    {
        if ((m.Flags & MessageFlags.AlwaysInterleave) != 0) return true;
        if (_waiting is null || m.CallChain is null) return false;
        for (var c = m.CallChain; c is not null; c = c.Parent)
            if (c.GrainId == GrainId && _waiting.Contains(c.RequestId)) return true;
        return false;
    }

    /// <summary>Chain ids of this activation's requests that have called out and are still running: only calls
    /// coming back along one of them may interleave.</summary>
    private List<long>? _waiting;

    /// <summary>Records that <paramref name="request"/>, running here, calls another grain; returns its chain id.</summary>
    public long MarkWaiting(Message request)
    {
        if (request.ChainId != 0) return request.ChainId;
        long id = request.EnsureChainId();
        lock (this) (_waiting ??= []).Add(id);
        return id;
    }

    public void Execute()
    {
        var previousContext = SynchronizationContext.Current;
        try
        {
            for (int i = 0; i < TurnBudget; i++)
            {
                Continuation? work = null;
                Message? request = null;
                lock (this)
                {
                    if (_workHead is not null)
                    {
                        work = _workHead;
                        _workHead = work.Next;
                        if (_workHead is null) _workTail = null;
                    }
                    else
                    {
                        request = TakeRunnableRequest();
                        if (request is null)
                        {
                            _scheduled = false;
                            return;
                        }
                    }
                }
                if (work is not null) RunContinuation(work);
                else RunRequest(request!);
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previousContext);
            RuntimeContext.CurrentMessage = null;
            RuntimeContext.CurrentActivation = null;
        }
        // Budget used up with work left: yield the thread and come back.
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    private Message? TakeRunnableRequest()
    {
        if (_head is null || State == ActivationState.Invalid) return null;
        if (State == ActivationState.Created)
        {
            State = ActivationState.Activating;
            _running++;
            return new LifecycleRequest(this, activate: true);
        }
        if (State != ActivationState.Valid) return null;
        Message? prev = null;
        var m = _head;
        bool free = _running == 0 || ClassInfo.Reentrant;
        if (!free)
        {
            if (_interleavable == 0) return null;
            while (m is not null && !IsInterleavable(m)) { prev = m; m = m.Next; }
            if (m is null) return null;
        }
        if (prev is null) _head = m.Next; else prev.Next = m.Next;
        if (_tail == m) _tail = prev;
        m.Next = null;
        if (m.CountedInterleavable) { m.CountedInterleavable = false; _interleavable--; }
        _running++;
        return m;
    }

    private void RunRequest(Message message)
    {
        if (message.Deadline != 0 && Stopwatch.GetTimestamp() > message.Deadline)
        {
            lock (this) _running--;
            message.Fail(new TimeoutException($"Call {message.MethodName} to {GrainId} expired in the queue before it ran."));
            _silo.Metrics.CallExpired();
            return;
        }
        LastActivity = Environment.TickCount64;
        // A span left current by the previous turn on this thread must not become this call's parent.
        if (Activity.Current is not null) Activity.Current = null;
        if (message.TraceParent != default || Diagnostics.RuntimeMetrics.ActivitySource.HasListeners())
            message.Span = Diagnostics.RuntimeMetrics.ActivitySource.StartActivity(message.MethodName, ActivityKind.Server, message.TraceParent)?.SetTag("imv.grain", GrainId.ToString());
        message.Callback = this;
        RuntimeContext.CurrentMessage = message;
        RuntimeContext.CurrentActivation = this;
        SynchronizationContext.SetSynchronizationContext(message);
        var grain = message is LifecycleRequest ? this : _grain!;
        message.Invoke(grain);
    }

    private void RunContinuation(Continuation work)
    {
        RuntimeContext.CurrentMessage = work.Owner;
        RuntimeContext.CurrentActivation = this;
        SynchronizationContext.SetSynchronizationContext(work.Owner);
        work.Callback(work.State);
    }

    private TaskCompletionSource? _drained;

    public void OnInvocationFinished(Message message)
    {
        if (message.Span is { } span) { span.Dispose(); message.Span = null; }
        if (message.ChainId != 0) lock (this) _waiting?.Remove(message.ChainId);
        if (message.SentAt != 0) _silo.Metrics.CallDuration(message.SentAt);
        bool schedule = false;
        bool deactivate = false;
        lock (this)
        {
            _running--;
            LastActivity = Environment.TickCount64;
            if (_running == 0 && _drained is { } drained && State == ActivationState.Deactivating)
            {
                _drained = null;
                drained.TrySetResult();
            }
            if (_deactivateOnIdle && _running == 0 && State == ActivationState.Valid)
            {
                _deactivateOnIdle = false;
                deactivate = true;
            }
            else if (!_scheduled && (_head is not null || _workHead is not null))
            {
                _scheduled = schedule = true;
            }
        }
        _silo.Metrics.CallCompleted();
        if (deactivate) _ = DeactivateAsync(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "DeactivateOnIdle"));
        else if (schedule) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public void PostContinuation(Message message, SendOrPostCallback callback, object? state)
    {
        var work = new Continuation(message, callback, state);
        bool schedule = false;
        lock (this)
        {
            if (_workTail is null) _workHead = _workTail = work;
            else { _workTail.Next = work; _workTail = work; }
            if (!_scheduled) _scheduled = schedule = true;
        }
        if (schedule) ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Runs the activation steps as the first turn: construct, read state, OnActivateAsync.</summary>
    internal async Task ActivateCoreAsync()
    {
        try
        {
            RuntimeContext.ActivatingContext = this;
            try
            {
                _grain = ClassInfo.Factory(_silo.Services, this);
            }
            finally
            {
                RuntimeContext.ActivatingContext = null;
            }
            if (_states is not null)
                foreach (var state in _states) await state.ReadOnActivateAsync(_silo.ShutdownToken).ConfigureAwait(true);
            if (_grain is Grain g) await g.OnActivateAsync(_silo.ShutdownToken).ConfigureAwait(true);
            lock (this) State = ActivationState.Valid;
            _silo.Metrics.ActivationCreated();
            _silo.Log.Activated(GrainId);
        }
        catch (Exception e)
        {
            _silo.Log.ActivationFailed(e, GrainId);
            var error = new ActivationFailedException($"Activation of grain {GrainId} failed: {e.Message}", e);
            List<Message> failed = [];
            lock (this)
            {
                State = ActivationState.Invalid;
                for (var m = _head; m is not null; m = m.Next) failed.Add(m);
                _head = _tail = null;
            }
            _silo.Catalog.Remove(this);
            foreach (var m in failed) m.Fail(error);
            throw error;
        }
    }

    /// <summary>The silo died (a kill): the activation stops at once. Its timers stop, queued calls fail, and it
    /// never writes again from a timer; nothing is flushed, as in a crash.</summary>
    public void Abandon()
    {
        List<Message> queued = [];
        List<GrainTimer>? timers;
        lock (this)
        {
            State = ActivationState.Invalid;
            for (var m = _head; m is not null; m = m.Next) queued.Add(m);
            _head = _tail = null;
            timers = _timers;
            _timers = null;
        }
        if (timers is not null) foreach (var t in timers.ToArray()) t.Dispose();
        foreach (var m in queued) m.Fail(new SiloUnavailableException($"Silo {_silo.Name} was killed before {m.MethodName} to {GrainId} ran."));
    }

    public void DeactivateOnIdle()
    {
        lock (this) _deactivateOnIdle = true;
    }

    /// <summary>Deactivates: waits for running work, runs OnDeactivateAsync, flushes state, leaves the catalog,
    /// and routes anything that arrived meanwhile to a new activation.</summary>
    public async Task DeactivateAsync(DeactivationReason reason)
    {
        lock (this)
        {
            if (State is ActivationState.Deactivating or ActivationState.Invalid) return;
            if (State == ActivationState.Created) { State = ActivationState.Invalid; }
            else State = ActivationState.Deactivating;
        }
        try
        {
            // Let running turns finish (bounded by the silo's deactivation timeout).
            Task drained;
            lock (this)
            {
                drained = _running == 0 && _workHead is null ? Task.CompletedTask
                    : (_drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            try
            {
                await drained.WaitAsync(_silo.Options.DeactivationTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                _silo.Log.DeactivationTimedOut(GrainId);
            }
            if (_timers is not null) foreach (var t in _timers.ToArray()) t.Dispose();
            if (_grain is Grain g && State == ActivationState.Deactivating)
            {
                var turn = new LifecycleRequest(this, activate: false) { Reason = reason };
                lock (this) _running++;
                turn.Callback = this;
                var previous = SynchronizationContext.Current;
                SynchronizationContext.SetSynchronizationContext(turn);
                RuntimeContext.CurrentActivation = this;
                RuntimeContext.CurrentMessage = turn;
                try { turn.Invoke(this); }
                finally
                {
                    SynchronizationContext.SetSynchronizationContext(previous);
                    RuntimeContext.CurrentActivation = null;
                    RuntimeContext.CurrentMessage = null;
                }
                try { await turn.AsUntypedTask().ConfigureAwait(false); }
                catch (Exception e) { _silo.Log.DeactivationFailed(e, GrainId); }
            }
        }
        finally
        {
            List<Message>? reroute;
            lock (this)
            {
                State = ActivationState.Invalid;
                reroute = _parked;
                _parked = null;
                for (var m = _head; m is not null; m = m.Next) (reroute ??= []).Add(m);
                _head = _tail = null;
            }
            _silo.Catalog.Remove(this);
            _silo.Metrics.ActivationRemoved();
            if (reroute is not null)
            {
                foreach (var m in reroute)
                {
                    if ((m.Flags & MessageFlags.ActivationBound) != 0)
                        m.Fail(new InvalidOperationException($"{m.MethodName} of {GrainId} was dropped: its activation was deactivated."));
                    else _silo.Route(m);
                }
            }
        }
    }

    internal async Task DeactivateCoreAsync(DeactivationReason reason)
    {
        if (_grain is Grain g) await g.OnDeactivateAsync(reason, _silo.ShutdownToken).ConfigureAwait(true);
        if (_states is not null)
            foreach (var state in _states) await state.FlushAsync(_silo.ShutdownToken).ConfigureAwait(true);
    }

    public IGrainTimer RegisterTimer(Func<object?, CancellationToken, Task> callback, object? state, TimeSpan dueTime, TimeSpan period, bool interleave)
    {
        var timer = new GrainTimer(this, callback, state, interleave);
        lock (this) (_timers ??= []).Add(timer);
        timer.Change(dueTime, period);
        return timer;
    }

    internal void RemoveTimer(GrainTimer timer)
    {
        lock (this) _timers?.Remove(timer);
    }

    public Task<IGrainReminder> RegisterOrUpdateReminderAsync(string reminderName, TimeSpan dueTime, TimeSpan period, CancellationToken cancellationToken) =>
        _silo.Reminders.RegisterOrUpdateAsync(GrainId, reminderName, dueTime, period, cancellationToken);

    public Task UnregisterReminderAsync(IGrainReminder reminder, CancellationToken cancellationToken) =>
        _silo.Reminders.UnregisterAsync(GrainId, reminder, cancellationToken);

    public Task<IGrainReminder?> GetReminderAsync(string reminderName, CancellationToken cancellationToken) =>
        _silo.Reminders.GetAsync(GrainId, reminderName, cancellationToken);

    public IStreamProvider GetStreamProvider(string name) => _silo.GetStreamProvider(name);

    public IPersistentState<TState> GetPersistentState<TState, TCodec>(string stateName, string? storageName)
        where TState : new()
        where TCodec : Serialization.IFieldCodec<TState>
    {
        var state = new PersistentState<TState, TCodec>(this, _silo, stateName, storageName);
        (_states ??= []).Add(state);
        return state;
    }

    public override string ToString() => GrainId.ToString();

    private sealed class Continuation(Message owner, SendOrPostCallback callback, object? state)
    {
        public readonly Message Owner = owner;
        public readonly SendOrPostCallback Callback = callback;
        public readonly object? State = state;
        public Continuation? Next;
    }
}

/// <summary>Where an activation is in its life.</summary>
internal enum ActivationState : byte
{
    Created,
    Activating,
    Valid,
    Deactivating,
    Invalid,
}

/// <summary>Activation failed (constructor, state read or OnActivateAsync threw); the grain's calls fail
/// with this and the next call tries to activate again.</summary>
public sealed class ActivationFailedException(string message, Exception inner) : Exception(message, inner);
