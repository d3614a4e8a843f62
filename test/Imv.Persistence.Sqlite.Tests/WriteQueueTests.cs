namespace Imv.Persistence.Sqlite.Tests;

/// <summary>The queue between grain writes and the store's writer thread.</summary>
public sealed class WriteQueueTests
{
    private static PendingWrite Write(string grain) => new("s", grain, new byte[] { 1 }, isClear: false, expectedETag: null);

    [Fact]
    public void Writes_leave_in_arrival_order_and_a_drain_takes_at_most_what_the_batch_may_hold()
    {
        var queue = new WriteQueue();
        for (int i = 0; i < 5; i++) Assert.True(queue.TryAdd(Write("g" + i)));
        var batch = new List<PendingWrite>();
        Assert.Equal(3, queue.Drain(batch, 3));
        Assert.Equal(2, queue.Count);
        Assert.Equal(2, queue.Drain(batch, 10));
        Assert.Equal(["g0", "g1", "g2", "g3", "g4"], batch.Select(w => w.GrainId));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void A_wait_ends_when_its_timeout_passes_with_nothing_queued()
    {
        var queue = new WriteQueue();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.Equal(WriteQueue.WaitOutcome.TimedOut, queue.Wait(TimeSpan.FromMilliseconds(30)));
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(30));
    }

    [Fact]
    public async Task A_waiting_writer_is_woken_by_the_first_write()
    {
        var queue = new WriteQueue();
        var waiting = Task.Factory.StartNew(() => queue.Wait(Timeout.InfiniteTimeSpan), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(queue.TryAdd(Write("g")));
        Assert.Equal(WriteQueue.WaitOutcome.Writes, await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_completed_queue_refuses_writes_and_lets_the_writer_finish_what_was_queued()
    {
        var queue = new WriteQueue();
        Assert.True(queue.TryAdd(Write("before")));
        queue.Complete();
        Assert.False(queue.TryAdd(Write("after")));
        Assert.Equal(WriteQueue.WaitOutcome.Writes, queue.Wait(TimeSpan.Zero));
        var batch = new List<PendingWrite>();
        queue.Drain(batch, 10);
        Assert.Equal("before", Assert.Single(batch).GrainId);
        Assert.Equal(WriteQueue.WaitOutcome.Completed, queue.Wait(Timeout.InfiniteTimeSpan));

        // A writer already waiting when the queue completes is woken too.
        var idle = new WriteQueue();
        var waiting = Task.Factory.StartNew(() => idle.Wait(Timeout.InfiniteTimeSpan), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        idle.Complete();
        Assert.Equal(WriteQueue.WaitOutcome.Completed, await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
