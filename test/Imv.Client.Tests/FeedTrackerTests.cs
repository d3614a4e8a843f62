using Imv.Client.Watching;
using Imv.Grains.Interfaces.Watching;

namespace Imv.Client.Tests;

public sealed class FeedTrackerTests
{
    [Fact]
    public void Changes_in_order_are_delivered_and_duplicates_dropped()
    {
        var t = new FeedTracker();
        t.Start(new WatchPosition(7, 3));
        Assert.Equal((false, (string?)null), t.OnChange(new WatchPosition(7, 3)));
        Assert.Equal((true, (string?)null), t.OnChange(new WatchPosition(7, 4)));
        Assert.Equal((true, (string?)null), t.OnChange(new WatchPosition(7, 5)));
        Assert.Null(t.OnRenewed(new WatchPosition(7, 5)));
    }

    [Fact]
    public void A_skipped_sequence_is_a_gap()
    {
        var t = new FeedTracker();
        t.Start(new WatchPosition(7, 3));
        var (deliver, gap) = t.OnChange(new WatchPosition(7, 6));
        Assert.False(deliver);
        Assert.Contains("#4..#5", gap, StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_epoch_on_renewal_is_a_gap()
    {
        var t = new FeedTracker();
        t.Start(new WatchPosition(7, 3));
        Assert.Contains("reactivated", t.OnRenewed(new WatchPosition(9, 0)), StringComparison.Ordinal);
        Assert.Equal(new WatchPosition(9, 0), t.Seen);
        Assert.Equal((true, (string?)null), t.OnChange(new WatchPosition(9, 1)));
    }

    [Fact]
    public void A_change_from_a_new_epoch_is_a_gap()
    {
        var t = new FeedTracker();
        t.Start(new WatchPosition(7, 3));
        var (deliver, gap) = t.OnChange(new WatchPosition(8, 1));
        Assert.False(deliver);
        Assert.Contains("reactivated", gap, StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_announced_by_a_renewal_that_never_arrives_is_a_gap_at_the_next_renewal()
    {
        var t = new FeedTracker();
        t.Start(new WatchPosition(7, 3));
        // The renewal says #5 was published; #4 and #5 may still be in flight: no gap yet.
        Assert.Null(t.OnRenewed(new WatchPosition(7, 5)));
        Assert.Equal((true, (string?)null), t.OnChange(new WatchPosition(7, 4)));
        // #5 never came: the next renewal reports it.
        Assert.Contains("#5..#5", t.OnRenewed(new WatchPosition(7, 6)), StringComparison.Ordinal);
        Assert.Equal(new WatchPosition(7, 6), t.Seen);
    }
}
