namespace Imv.Gateways.Mqtt;

/// <summary>An async counting gate for QoS 1/2 publications awaiting acknowledgement, whose limit can
/// change on reconnect (the broker's Receive Maximum).</summary>
internal sealed class MqttInFlightWindow
{
    private readonly object _lock = new();
    private readonly Queue<TaskCompletionSource> _waiters = new();
    private int _limit;
    private int _count;

    public MqttInFlightWindow(int limit) => _limit = limit;

    public int Count { get { lock (_lock) return _count; } }

    public ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            if (_count < _limit && _waiters.Count == 0)
            {
                _count++;
                return ValueTask.CompletedTask;
            }
            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }
        return new ValueTask(WaitAsync(waiter, cancellationToken));
    }

    private async Task WaitAsync(TaskCompletionSource waiter, CancellationToken cancellationToken)
    {
        try
        {
            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // If the slot was granted just as we were cancelled, give it back.
            if (!waiter.TrySetCanceled(cancellationToken)) Release();
            throw;
        }
    }

    public void Release()
    {
        lock (_lock)
        {
            _count--;
            GrantLocked();
        }
    }

    public void SetLimit(int limit)
    {
        lock (_lock)
        {
            _limit = Math.Max(1, limit);
            GrantLocked();
        }
    }

    private void GrantLocked()
    {
        while (_count < _limit && _waiters.TryDequeue(out var next))
        {
            if (next.TrySetResult()) _count++;
        }
    }
}
