namespace Imv.Gateways.Twins;

/// <summary>A count of readings in flight with an upper bound: taking is one atomic add on the fast path;
/// over the bound, takers wait (in arrival order) until readings are returned. A single request larger
/// than the bound is admitted alone, when nothing else is pending, so it cannot wait forever.</summary>
internal sealed class PendingBudget(long limit)
{
    private readonly Queue<(long Count, TaskCompletionSource Signal)> _waiters = new();
    private long _pending;

    public long Pending => Interlocked.Read(ref _pending);

    public bool TryTake(long count)
    {
        // Waiters go first (arrival order); reading the count without the lock is only a hint.
        if (_waiters.Count > 0) return false;
        long after = Interlocked.Add(ref _pending, count);
        if (after <= limit || after == count) return true;
        Interlocked.Add(ref _pending, -count);
        return false;
    }

    public async Task TakeAsync(long count, CancellationToken cancellationToken)
    {
        TaskCompletionSource signal;
        lock (_waiters)
        {
            if (_waiters.Count == 0 && TryTakeLocked(count)) return;
            signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue((count, signal));
        }
        using (cancellationToken.Register(static s => ((TaskCompletionSource)s!).TrySetCanceled(), signal))
        {
            try
            {
                await signal.Task.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // A waiter granted at the same moment as it was cancelled gives its share back.
                lock (_waiters)
                {
                    if (!_waiters.Any(w => w.Signal == signal)) Return(count);
                    else
                    {
                        var rest = _waiters.Where(w => w.Signal != signal).ToList();
                        _waiters.Clear();
                        foreach (var w in rest) _waiters.Enqueue(w);
                    }
                }
                throw;
            }
        }
    }

    public void Return(long count)
    {
        Interlocked.Add(ref _pending, -count);
        lock (_waiters)
        {
            while (_waiters.Count > 0 && TryTakeLocked(_waiters.Peek().Count))
            {
                var (_, signal) = _waiters.Dequeue();
                if (!signal.TrySetResult())
                {
                    // Cancelled meanwhile; its share is returned by the canceller's path above.
                }
            }
        }
    }

    private bool TryTakeLocked(long count)
    {
        long after = Interlocked.Add(ref _pending, count);
        if (after <= limit || after == count) return true;
        Interlocked.Add(ref _pending, -count);
        return false;
    }
}
