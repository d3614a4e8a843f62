using Imv.Runtime.Messaging;
using Imv.Runtime.Serialization;

namespace Imv.Runtime;

/// <summary>A grain timer: each tick is queued as a turn of the activation; a tick is skipped while the
/// previous one is still queued or running, so a slow callback never piles up ticks.</summary>
internal sealed class GrainTimer : IGrainTimer
{
    private readonly ActivationData _activation;
    private readonly Func<object?, CancellationToken, Task> _callback;
    private readonly object? _state;
    private readonly bool _interleave;
    private readonly Timer _timer;
    private readonly CancellationTokenSource _disposed = new();
    private int _tickPending;

    public GrainTimer(ActivationData activation, Func<object?, CancellationToken, Task> callback, object? state, bool interleave)
    {
        _activation = activation;
        _callback = callback;
        _state = state;
        _interleave = interleave;
        _timer = new Timer(static s => ((GrainTimer)s!).OnTimer(), this, Timeout.Infinite, Timeout.Infinite);
    }

    public void Change(TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime < TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(dueTime), dueTime, "Due time must be zero or positive.");
        if (period <= TimeSpan.Zero && period != Timeout.InfiniteTimeSpan) throw new ArgumentOutOfRangeException(nameof(period), period, "Period must be positive or infinite.");
        if (!_disposed.IsCancellationRequested) _timer.Change(dueTime, period);
    }

    private void OnTimer()
    {
        if (_disposed.IsCancellationRequested) return;
        if (Interlocked.Exchange(ref _tickPending, 1) != 0) return;
        var tick = new TickRequest(this) { TargetId = _activation.GrainId, Flags = MessageFlags.ActivationBound };
        if (_interleave) tick.Flags |= MessageFlags.AlwaysInterleave;
        _activation.Enqueue(tick);
    }

    public void Dispose()
    {
        if (_disposed.IsCancellationRequested) return;
        _disposed.Cancel();
        _timer.Dispose();
        _activation.RemoveTimer(this);
    }

    private sealed class TickRequest(GrainTimer timer) : LocalRequest
    {
        public override uint MethodId => 2;
        public override string MethodName => "GrainTimer.Tick";

        protected override ValueTask<Unit> InvokeCore(object grain)
        {
            Task task;
            try
            {
                task = timer._disposed.IsCancellationRequested ? Task.CompletedTask : timer._callback(timer._state, timer._disposed.Token);
            }
            finally
            {
                Volatile.Write(ref timer._tickPending, 0);
            }
            return FromTask(task);
        }
    }
}
