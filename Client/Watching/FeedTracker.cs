using Imv.Grains.Interfaces.Watching;

namespace Imv.Client.Watching;

/// <summary>Follows one grain's change feed (epoch, sequence), puts changes back in order, and tells when changes
/// were missed. Orleans does not order one-way messages, so a change that arrives before its predecessor is held
/// until the predecessor comes; a change still missing one whole renewal interval after a renewal showed it
/// published is a gap, as is a new epoch (the grain was reactivated, on this or another silo). A plain class: tested alone.</summary>
internal sealed class FeedTracker<T>
{
    private readonly SortedDictionary<long, T> _held = [];
    private long _epoch;
    private long _seen;
    private long _mustReach;

    /// <summary>The last position delivered (or started from).</summary>
    public WatchPosition Seen => new(_epoch, _seen);

    /// <summary>Changes held back, waiting for an earlier one.</summary>
    public int Held => _held.Count;

    /// <summary>The watch (re)started at <paramref name="position"/>: its state is as of it.</summary>
    public void Start(WatchPosition position)
    {
        _epoch = position.Epoch;
        _seen = position.Sequence;
        _mustReach = 0;
        // Held changes after the new start are still good; older ones are covered by the state.
        foreach (var old in _held.Keys.Where(k => k <= _seen).ToList()) _held.Remove(old);
    }

    /// <summary>A change arrived. Returns the changes to deliver now, in order (it and the held ones it unblocks), and
    /// the gap's reason when the change comes from a new activation (the state must then be read again).</summary>
    public (IReadOnlyList<T> Deliver, string? Gap) OnChange(WatchPosition position, T change)
    {
        if (position.Epoch != _epoch)
        {
            var reason = $"the grain was reactivated (feed epoch {_epoch:x} -> {position.Epoch:x}); changes after #{_seen} of the old activation may be missed";
            _held.Clear();
            _epoch = position.Epoch;
            _seen = position.Sequence;
            _mustReach = 0;
            return ([], reason);
        }
        if (position.Sequence <= _seen) return ([], null);   // covered by a state, or delivered
        if (position.Sequence > _seen + 1)
        {
            _held[position.Sequence] = change;
            return ([], null);
        }
        var deliver = new List<T> { change };
        _seen = position.Sequence;
        while (_held.Remove(_seen + 1, out var next))
        {
            deliver.Add(next);
            _seen++;
        }
        return (deliver, null);
    }

    /// <summary>A renewal answered with <paramref name="position"/>. Returns the gap's reason when the renewal's state
    /// must replace what was followed (the reader resynchronizes from it), null when the feed is whole so far.</summary>
    public string? OnRenewed(WatchPosition position)
    {
        if (position.Epoch != _epoch)
        {
            var reason = $"the grain was reactivated (feed epoch {_epoch:x} -> {position.Epoch:x}: a silo failover or a deactivation); changes after #{_seen} may be missed";
            _held.Clear();
            Start(position);
            return reason;
        }
        if (_mustReach > _seen)
        {
            var reason = $"changes #{_seen + 1}..#{_mustReach} never arrived (a lost message or a reconnect)";
            Start(position);
            return reason;
        }
        // What was published before this answer (or arrived out of order) must have arrived by the next renewal.
        long highest = Math.Max(position.Sequence, _held.Count > 0 ? _held.Keys.Max() : 0);
        _mustReach = highest > _seen ? highest : 0;
        return null;
    }
}
