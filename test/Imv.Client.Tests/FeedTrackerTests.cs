using Imv.Client.Watching;
using Imv.Grains.Interfaces.Watching;

namespace Imv.Client.Tests;

public sealed class FeedTrackerTests
{
    private static FeedTracker<string> Started(long epoch, long sequence)
    {
        var t = new FeedTracker<string>();
        t.Start(new WatchPosition(epoch, sequence));
        return t;
    }

    [Fact]
    public void Changes_in_order_are_delivered_and_duplicates_dropped()
    {
        var t = Started(7, 3);
        Assert.Empty(t.OnChange(new WatchPosition(7, 3), "c3").Deliver);
        Assert.Equal(["c4"], t.OnChange(new WatchPosition(7, 4), "c4").Deliver);
        Assert.Equal(["c5"], t.OnChange(new WatchPosition(7, 5), "c5").Deliver);
        Assert.Null(t.OnRenewed(new WatchPosition(7, 5)));
        Assert.Null(t.OnRenewed(new WatchPosition(7, 5)));
    }

    [Fact]
    public void A_change_that_overtook_its_predecessor_waits_for_it()
    {
        var t = Started(7, 3);
        var (deliver, gap) = t.OnChange(new WatchPosition(7, 5), "c5");
        Assert.Empty(deliver);
        Assert.Null(gap);
        Assert.Equal(1, t.Held);
        Assert.Equal(["c4", "c5"], t.OnChange(new WatchPosition(7, 4), "c4").Deliver);
        Assert.Equal(new WatchPosition(7, 5), t.Seen);
    }

    [Fact]
    public void A_change_still_missing_a_renewal_interval_after_a_renewal_is_a_gap()
    {
        var t = Started(7, 3);
        t.OnChange(new WatchPosition(7, 6), "c6");
        // The first renewal after the hole gives the missing changes one interval to arrive.
        Assert.Null(t.OnRenewed(new WatchPosition(7, 6)));
        Assert.Contains("#4..#6", t.OnRenewed(new WatchPosition(7, 7)), StringComparison.Ordinal);
        Assert.Equal(new WatchPosition(7, 7), t.Seen);
        Assert.Equal(0, t.Held);
    }

    [Fact]
    public void A_new_epoch_on_renewal_is_a_gap()
    {
        var t = Started(7, 3);
        Assert.Contains("reactivated", t.OnRenewed(new WatchPosition(9, 0)), StringComparison.Ordinal);
        Assert.Equal(new WatchPosition(9, 0), t.Seen);
        Assert.Equal(["c1"], t.OnChange(new WatchPosition(9, 1), "c1").Deliver);
    }

    [Fact]
    public void A_change_from_a_new_epoch_is_a_gap()
    {
        var t = Started(7, 3);
        var (deliver, gap) = t.OnChange(new WatchPosition(8, 1), "x");
        Assert.Empty(deliver);
        Assert.Contains("reactivated", gap, StringComparison.Ordinal);
    }

    [Fact]
    public void A_change_announced_by_a_renewal_that_never_arrives_is_a_gap_at_the_next_renewal()
    {
        var t = Started(7, 3);
        Assert.Null(t.OnRenewed(new WatchPosition(7, 5)));
        Assert.Equal(["c4"], t.OnChange(new WatchPosition(7, 4), "c4").Deliver);
        Assert.Contains("#5..#5", t.OnRenewed(new WatchPosition(7, 6)), StringComparison.Ordinal);
        Assert.Equal(new WatchPosition(7, 6), t.Seen);
    }
}
