using System.Diagnostics;
using Imv.Runtime.Messaging;

namespace Imv.Runtime;

/// <summary>Times out calls whose deadline passed. Callers add their request to one of a few striped lists;
/// a sweep a few times a second fails the overdue ones and drops the completed ones, so the call path pays
/// one uncontended lock and no per-call timer.</summary>
internal sealed class PendingCallTracker : IDisposable
{
    private readonly Stripe[] _stripes;
    private readonly Timer _timer;

    public PendingCallTracker(TimeSpan sweepInterval)
    {
        _stripes = new Stripe[Math.Max(4, Environment.ProcessorCount * 2)];
        for (int i = 0; i < _stripes.Length; i++) _stripes[i] = new Stripe();
        _timer = new Timer(static s => ((PendingCallTracker)s!).Sweep(), this, sweepInterval, sweepInterval);
    }

    public void Add(ITrackedCall call)
    {
        var stripe = _stripes[(uint)Environment.CurrentManagedThreadId % (uint)_stripes.Length];
        lock (stripe) stripe.Calls.Add(call);
    }

    private int _sweeping;

    private void Sweep()
    {
        // Timer callbacks may overlap when a sweep is slow; one at a time.
        if (Interlocked.Exchange(ref _sweeping, 1) != 0) return;
        try { SweepCore(); }
        finally { Volatile.Write(ref _sweeping, 0); }
    }

    private void SweepCore()
    {
        long now = Stopwatch.GetTimestamp();
        foreach (var stripe in _stripes)
        {
            List<ITrackedCall> calls;
            lock (stripe)
            {
                if (stripe.Calls.Count == 0) continue;
                calls = stripe.Calls;
                stripe.Calls = stripe.Spare ?? [];
                stripe.Spare = null;
            }
            List<ITrackedCall>? keep = null;
            foreach (var call in calls)
            {
                if (call.IsCallerCompleted) continue;
                if (call.Deadline != 0 && now > call.Deadline) call.TimeOut();
                else (keep ??= []).Add(call);
            }
            calls.Clear();
            lock (stripe)
            {
                if (keep is not null) stripe.Calls.AddRange(keep);
                stripe.Spare ??= calls;
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    private sealed class Stripe
    {
        public List<ITrackedCall> Calls = [];
        public List<ITrackedCall>? Spare = [];
    }
}

/// <summary>A call the tracker watches.</summary>
internal interface ITrackedCall
{
    long Deadline { get; }

    bool IsCallerCompleted { get; }

    void TimeOut();
}

/// <summary>Adapts a request to the tracker without allocating.</summary>
internal static class TrackedCall
{
    public static ITrackedCall For(Message message) => (ITrackedCall)message;
}
