using Imv.Grains.Interfaces.Watching;

namespace Imv.Client.Watching;

/// <summary>Follows one grain's change feed (epoch, sequence) and tells when changes were missed: a sequence that
/// skips, a new epoch (the grain was reactivated, on this or another silo), or a renewal showing a position that
/// no change delivered before the next renewal (a lost one-way message). A plain class: tested alone.</summary>
internal sealed class FeedTracker
{
    private long _epoch;
    private long _seen;
    private long _mustReach;

    /// <summary>The last position accepted.</summary>
    public WatchPosition Seen => new(_epoch, _seen);

    /// <summary>The watch started at <paramref name="position"/> (its state is as of it).</summary>
    public void Start(WatchPosition position)
    {
        _epoch = position.Epoch;
        _seen = position.Sequence;
        _mustReach = 0;
    }

    /// <summary>A change arrived. Returns whether to deliver it, and the gap's reason when changes before it were missed.</summary>
    public (bool Deliver, string? Gap) OnChange(WatchPosition position)
    {
        if (position.Epoch != _epoch)
        {
            var reason = $"the grain was reactivated (feed epoch {_epoch:x} -> {position.Epoch:x}); changes after #{_seen} of the old activation and before #{position.Sequence} of the new one may be missed";
            _epoch = position.Epoch;
            _seen = position.Sequence;
            _mustReach = 0;
            return (false, reason);
        }
        if (position.Sequence <= _seen) return (false, null);   // already covered by a state or delivered
        string? gap = position.Sequence > _seen + 1 ? $"changes #{_seen + 1}..#{position.Sequence - 1} never arrived" : null;
        _seen = position.Sequence;
        return (gap is null, gap);
    }

    /// <summary>A renewal answered with <paramref name="position"/>. Returns the gap's reason when the state of the
    /// renewal must replace what was followed (the reader resynchronizes from it), null when the feed is whole.</summary>
    public string? OnRenewed(WatchPosition position)
    {
        if (position.Epoch != _epoch)
        {
            var reason = $"the grain was reactivated (feed epoch {_epoch:x} -> {position.Epoch:x}, a silo failover or a deactivation); changes after #{_seen} may be missed";
            Start(position);
            return reason;
        }
        if (_mustReach > _seen)
        {
            var reason = $"changes #{_seen + 1}..#{_mustReach} never arrived (a lost message or a reconnect)";
            Start(position);
            return reason;
        }
        // Changes published before this answer may still be on their way: they must arrive before the next renewal.
        _mustReach = position.Sequence > _seen ? position.Sequence : 0;
        return null;
    }
}
