using System.Diagnostics;

namespace Imv.Persistence.Sqlite;

/// <summary>The writes waiting for the store's writer thread, in arrival order. The writer blocks on it (a thread of
/// its own, not the thread pool's: its commits block on disk I/O, and a pool thread waiting on fsync is one of the
/// two a 2-core silo runs its grains on); a writer that waits is woken by the first write to arrive.</summary>
internal sealed class WriteQueue
{
    // A plain object, not a Lock: the writer waits on it with Monitor.Wait.
    private readonly object _gate = new();
    private readonly Queue<PendingWrite> _items = new();
    private bool _completed, _writerWaiting;

    /// <summary>Writes waiting.</summary>
    public int Count
    {
        get { lock (_gate) return _items.Count; }
    }

    /// <summary>Appends a write; false once the queue is completed (the store is closing).</summary>
    public bool TryAdd(PendingWrite write)
    {
        lock (_gate)
        {
            if (_completed) return false;
            _items.Enqueue(write);
            if (_writerWaiting && _items.Count == 1) Monitor.Pulse(_gate);
            return true;
        }
    }

    /// <summary>No more writes are taken; the writer finishes those already queued.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>The writer: moves up to <paramref name="max"/> writes in total into <paramref name="batch"/>; returns
    /// how many it moved.</summary>
    public int Drain(List<PendingWrite> batch, int max)
    {
        lock (_gate)
        {
            int taken = 0;
            while (batch.Count < max && _items.TryDequeue(out var write))
            {
                batch.Add(write);
                taken++;
            }
            return taken;
        }
    }

    /// <summary>The writer: waits until a write is queued (<see cref="WaitOutcome.Writes"/>), the timeout passed
    /// (<see cref="WaitOutcome.TimedOut"/>; <see cref="Timeout.InfiniteTimeSpan"/> waits for ever) or the queue is
    /// completed and empty (<see cref="WaitOutcome.Completed"/>).</summary>
    public WaitOutcome Wait(TimeSpan timeout)
    {
        long deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            while (_items.Count == 0)
            {
                if (_completed) return WaitOutcome.Completed;
                int left;
                if (deadline == long.MaxValue) left = Timeout.Infinite;
                else
                {
                    // Rounded up to a whole millisecond, so a wait ends at or after its deadline, never spinning short of it.
                    long ticks = deadline - Stopwatch.GetTimestamp();
                    if (ticks <= 0) return WaitOutcome.TimedOut;
                    left = (int)Math.Min(int.MaxValue, (ticks * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
                }
                _writerWaiting = true;
                try { Monitor.Wait(_gate, left); }
                finally { _writerWaiting = false; }
            }
            return WaitOutcome.Writes;
        }
    }

    /// <summary>What ended a <see cref="Wait"/>.</summary>
    public enum WaitOutcome
    {
        /// <summary>Writes are queued.</summary>
        Writes,

        /// <summary>The timeout passed with nothing queued.</summary>
        TimedOut,

        /// <summary>The queue is completed and empty: the writer stops.</summary>
        Completed,
    }
}
