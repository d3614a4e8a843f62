using Imv.Runtime.Tests.Grains;

namespace Imv.Runtime.Tests.Runtime;

[Collection(ClusterCollection.Name)]
public sealed class GrainCallTests(ClusterFixture fixture)
{
    private IGrainFactory Factory => fixture.Cluster.GrainFactory;

    [Fact]
    public async Task A_thousand_concurrent_callers_observe_strict_turns()
    {
        var grain = Factory.GetGrain<ICounterGrain>("turns-" + Guid.NewGuid());
        var calls = Enumerable.Range(0, 1000).Select(_ => grain.IncrementWithAwaitAsync()).ToArray();
        var results = await Task.WhenAll(calls);
        Assert.Equal(1000, await grain.GetAsync());
        Assert.Equal(Enumerable.Range(1, 1000), results.OrderBy(x => x));
        Assert.Equal(1, await grain.MaxConcurrentTurnsAsync());
    }

    [Fact]
    public async Task References_compare_by_grain_id_and_keys_round_trip()
    {
        var a = Factory.GetGrain<ICounterGrain>("same");
        var b = Factory.GetGrain<ICounterGrain>("same");
        var c = Factory.GetGrain<ICounterGrain>("other");
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.Equal("same", a.GetPrimaryKeyString());
        var guid = Guid.NewGuid();
        Assert.Equal(guid, Factory.GetGrain<IInterleavingGrain>(guid).GetPrimaryKey());
        Assert.Equal(77L, Factory.GetGrain<IFaultyGrain>(77).GetPrimaryKeyLong());
    }

    [Fact]
    public async Task Grains_are_placed_on_both_silos_and_called_across_them()
    {
        var silos = new HashSet<string>();
        for (int i = 0; i < 40; i++) silos.Add(await Factory.GetGrain<ICounterGrain>("spread-" + i).SiloNameAsync());
        Assert.Equal(2, silos.Count);
    }

    [Fact]
    public async Task A_call_cycle_runs_through_call_chain_reentrancy_without_corrupting_state()
    {
        var a = Factory.GetGrain<ICycleGrain>("cycle-a-" + Guid.NewGuid());
        var b = Factory.GetGrain<ICycleGrain>("cycle-b-" + Guid.NewGuid());
        var answer = await a.StartCycleAsync(b).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.StartsWith("pong from cycle-a-", answer);
        Assert.EndsWith("at state 1", answer);
        Assert.Equal(2, await a.StateAsync());
    }

    [Fact]
    public async Task A_call_started_by_a_one_way_call_does_not_interleave_with_its_senders_turn()
    {
        var a = Factory.GetGrain<ICounterGrain>("oneway-a-" + Guid.NewGuid());
        var b = Factory.GetGrain<ICounterGrain>("oneway-b-" + Guid.NewGuid());
        // A pokes B one-way and keeps its turn for 300 ms; B calls A back meanwhile. That call must wait for
        // A's turn to end: A sees its count unchanged, and never two turns at once.
        Assert.Equal(0, await a.HoldTurnAfterOneWayAsync(b, 300));
        await Until(async () => await a.GetAsync() == 1);
        Assert.Equal(1, await a.MaxConcurrentTurnsAsync());
    }

    [Fact]
    public async Task An_exception_reaches_the_caller_with_its_type_and_message_across_silos()
    {
        for (long key = 0; key < 8; key++)
        {
            var grain = Factory.GetGrain<IFaultyGrain>(key);
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => grain.ThrowAsync("boom " + key));
            Assert.Equal("boom " + key, e.Message);
            var sync = await Assert.ThrowsAsync<ArgumentException>(() => grain.ThrowSynchronouslyAsync("bad " + key));
            Assert.Equal("bad " + key, sync.Message);
        }
    }

    [Fact]
    public async Task A_call_past_its_deadline_fails_with_TimeoutException()
    {
        var grain = Factory.GetGrain<IFaultyGrain>(1000);
        Task<int> slow;
        using (CallTimeout.Override(TimeSpan.FromMilliseconds(200))) slow = grain.DelayAsync(5000);
        await Assert.ThrowsAsync<TimeoutException>(() => slow);
        Assert.Equal(1, await grain.DelayAsync(1));
    }

    [Fact]
    public async Task AlwaysInterleave_lets_a_call_through_while_another_waits()
    {
        var grain = Factory.GetGrain<IInterleavingGrain>(Guid.NewGuid());
        var waiting = grain.WaitForSignalAsync();
        await grain.SignalAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(42, await waiting.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task OneWay_calls_return_at_once_and_run_in_order()
    {
        var grain = Factory.GetGrain<IInterleavingGrain>(Guid.NewGuid());
        for (int i = 1; i <= 100; i++) Assert.True(grain.FireAsync(i).IsCompleted);
        // A request-response call queued after the one-way calls runs after them (arrival order).
        Assert.Equal(5050, await grain.SumAsync());
    }

    [Fact]
    public async Task Stateless_workers_run_up_to_their_limit_of_local_activations()
    {
        var worker = Factory.GetGrain<IWorkerGrain>("pool");
        var ids = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => worker.WhoAmIAsync(200)));
        var distinct = ids.Distinct().Count();
        Assert.InRange(distinct, 2, 2);
    }

    [Fact]
    public async Task Timer_ticks_run_as_turns_of_the_grain()
    {
        var grain = Factory.GetGrain<ITimerGrain>("timer-" + Guid.NewGuid());
        await grain.StartAsync(TimeSpan.FromMilliseconds(20));
        await Until(async () => await grain.TicksAsync() >= 10);
        Assert.Equal(1, await grain.MaxConcurrentTurnsAsync());
    }

    [Fact]
    public async Task Observers_receive_calls_from_grains()
    {
        var received = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var observer = Factory.CreateObjectReference<IChatObserver>(new ChatObserver(m =>
        {
            lock (received) { received.Add(m); if (received.Count == 2) done.TrySetResult(); }
        }));
        var room = Factory.GetGrain<IChatRoomGrain>("room-" + Guid.NewGuid());
        await room.JoinAsync(observer);
        Assert.Equal(1, await room.SendAsync("hello"));
        await room.SendAsync("world");
        await done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(["hello", "world"], received);
    }

    [Fact]
    public async Task Implicit_stream_subscribers_receive_events_in_order_with_sequence_tokens()
    {
        var key = "order-" + Guid.NewGuid();
        var producer = Factory.GetGrain<IProducerGrain>(key);
        await producer.PublishAsync(key, "a");
        await producer.PublishAsync(key, "b");
        var consumer = Factory.GetGrain<IStreamConsumerGrain>(key);
        Assert.Equal(["a#1", "b#2"], await consumer.ReceivedAsync());
    }

    [Fact]
    public void An_unregistered_grain_interface_fails_with_its_name()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Factory.GetGrain<IUnimplementedGrain>("x"));
        Assert.Contains(nameof(IUnimplementedGrain), e.Message);
    }

    internal static async Task Until(Func<Task<bool>> condition, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("Condition not met in time.");
            await Task.Delay(20);
        }
    }

    private sealed class ChatObserver(Action<string> onMessage) : IChatObserver
    {
        public Task ReceiveAsync(string message)
        {
            onMessage(message);
            return Task.CompletedTask;
        }
    }
}
