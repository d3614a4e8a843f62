using System.Diagnostics;
using Imv.Runtime.Messaging;

namespace Imv.Runtime;

/// <summary>Times out calls whose deadline passed. A waiting call holds a slot in one of a few striped
/// tables from send until its caller is completed, and gives it back then; a sweep a few times a second
/// fails the overdue ones. Completed calls are never kept (a tracker that held every request until a
/// sweep would promote them all out of the youngest GC generation), and the call path pays two
/// uncontended locks and no timer.</summary>
internal sealed class PendingCallTracker : IDisposable
{
    private readonly Stripe[] _stripes;
    private readonly Timer _timer;
    private int _sweeping;

    public PendingCallTracker(TimeSpan sweepInterval)
    {
        _stripes = new Stripe[Math.Max(4, Environment.ProcessorCount * 2)];
        for (int i = 0; i < _stripes.Length; i++) _stripes[i] = new Stripe();
        _timer = new Timer(static s => ((PendingCallTracker)s!).Sweep(), this, sweepInterval, sweepInterval);
    }

    /// <summary>Watches <paramref name="call"/> until <see cref="Remove"/>.</summary>
    public void Add(ITrackedCall call)
    {
        int s = (int)((uint)Environment.CurrentManagedThreadId % (uint)_stripes.Length);
        var stripe = _stripes[s];
        lock (stripe)
        {
            int slot = stripe.FreeCount > 0 ? stripe.Free[--stripe.FreeCount] : stripe.Grow();
            stripe.Slots[slot] = call;
            call.TrackerSlot = (s << 24) | slot;
        }
    }

    /// <summary>Stops watching a call whose caller was completed.</summary>
    public void Remove(ITrackedCall call)
    {
        int handle = call.TrackerSlot;
        if (handle < 0) return;
        call.TrackerSlot = -1;
        var stripe = _stripes[handle >> 24];
        int slot = handle & 0xFFFFFF;
        lock (stripe)
        {
            if (!ReferenceEquals(stripe.Slots[slot], call)) return;
            stripe.Slots[slot] = null;
            stripe.Free[stripe.FreeCount++] = slot;
        }
    }

    private void Sweep()
    {
        // Timer callbacks may overlap when a sweep is slow; one at a time.
        if (Interlocked.Exchange(ref _sweeping, 1) != 0) return;
        try
        {
            long now = Stopwatch.GetTimestamp();
            List<ITrackedCall>? overdue = null;
            foreach (var stripe in _stripes)
            {
                lock (stripe)
                {
                    var slots = stripe.Slots;
                    for (int i = 0; i < stripe.Used; i++)
                        if (slots[i] is { } call && call.Deadline != 0 && now > call.Deadline) (overdue ??= []).Add(call);
                }
            }
            if (overdue is null) return;
            foreach (var call in overdue) call.TimeOut(); // completes the caller, which removes the slot
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    public void Dispose() => _timer.Dispose();

    private sealed class Stripe
    {
        public ITrackedCall?[] Slots = new ITrackedCall?[64];
        public int[] Free = new int[64];
        public int FreeCount;
        public int Used;

        public int Grow()
        {
            if (Used == Slots.Length)
            {
                Array.Resize(ref Slots, Slots.Length * 2);
                Array.Resize(ref Free, Free.Length * 2);
            }
            return Used++;
        }
    }
}

/// <summary>A call the tracker watches.</summary>
internal interface ITrackedCall
{
    long Deadline { get; }

    /// <summary>The tracker's handle of the call's slot; -1 when not tracked.</summary>
    int TrackerSlot { get; set; }

    void TimeOut();
}
