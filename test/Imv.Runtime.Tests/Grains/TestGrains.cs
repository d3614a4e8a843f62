using Imv.Runtime;
using Imv.Runtime.Streams;

namespace Imv.Runtime.Tests.Grains;

public sealed class CounterGrain : Grain, ICounterGrain
{
    private int _count;
    private int _inTurn;
    private int _maxInTurn;

    private void Enter()
    {
        int now = Interlocked.Increment(ref _inTurn);
        if (now > _maxInTurn) _maxInTurn = now;
    }

    private void Leave() => Interlocked.Decrement(ref _inTurn);

    public Task<int> IncrementAsync()
    {
        Enter();
        try { return Task.FromResult(++_count); }
        finally { Leave(); }
    }

    public async Task<int> IncrementWithAwaitAsync()
    {
        Enter();
        try
        {
            int read = _count;
            await Task.Yield();
            await Task.Delay(1);
            _count = read + 1;
            return _count;
        }
        finally { Leave(); }
    }

    public Task<int> GetAsync() => Task.FromResult(_count);

    public Task<int> MaxConcurrentTurnsAsync() => Task.FromResult(_maxInTurn);

    public Task<string> SiloNameAsync() => Task.FromResult(((SiloRuntime)GrainFactory).Name);

    public async Task<int> HoldTurnAfterOneWayAsync(ICounterGrain other, int holdMs)
    {
        Enter();
        try
        {
            await other.PokeBackAsync(this.AsReference<ICounterGrain>());
            await Task.Delay(holdMs);
            return _count;
        }
        finally { Leave(); }
    }

    public async Task PokeBackAsync(ICounterGrain caller) => await caller.IncrementWithAwaitAsync();
}

public sealed class PersistentCounterGrain([PersistentState("counter")] IPersistentState<CounterState> state) : Grain, IPersistentCounterGrain
{
    public async Task<int> IncrementAsync()
    {
        state.State.Count++;
        state.State.History.Add("inc" + state.State.Count);
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<int> GetAsync() => Task.FromResult(state.State.Count);

    public Task<string?> ETagAsync() => Task.FromResult(state.ETag);

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}

public sealed class CycleGrain : Grain, ICycleGrain
{
    private int _state;

    public async Task<string> StartCycleAsync(ICycleGrain peer)
    {
        _state++;
        var answer = await peer.CallBackAsync(this.AsReference<ICycleGrain>());
        _state++;
        return answer;
    }

    public Task<string> CallBackAsync(ICycleGrain origin) => origin.PingAsync();

    public Task<string> PingAsync() => Task.FromResult("pong from " + this.GetPrimaryKeyString() + " at state " + _state);

    public Task<int> StateAsync() => Task.FromResult(_state);
}

public sealed class FaultyGrain : Grain, IFaultyGrain
{
    public async Task ThrowAsync(string message)
    {
        await Task.Yield();
        throw new InvalidOperationException(message);
    }

    public Task<int> ThrowSynchronouslyAsync(string message) => throw new ArgumentException(message);

    public async Task<int> DelayAsync(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return milliseconds;
    }
}

public sealed class InterleavingGrain : Grain, IInterleavingGrain
{
    private TaskCompletionSource<int> _signal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sum;

    public Task<int> WaitForSignalAsync() => _signal.Task;

    public Task SignalAsync()
    {
        _signal.TrySetResult(42);
        return Task.CompletedTask;
    }

    public Task FireAsync(int value)
    {
        _sum += value;
        return Task.CompletedTask;
    }

    public Task<int> SumAsync() => Task.FromResult(_sum);
}

[StatelessWorker(2)]
public sealed class WorkerGrain : Grain, IWorkerGrain
{
    private readonly Guid _instance = Guid.NewGuid();

    public async Task<string> WhoAmIAsync(int delayMs)
    {
        await Task.Delay(delayMs);
        return _instance.ToString("N");
    }
}

public sealed class TimerGrain : Grain, ITimerGrain
{
    private int _ticks;
    private int _inTurn;
    private int _max;

    public Task StartAsync(TimeSpan period)
    {
        RegisterGrainTimer(async ct =>
        {
            int now = Interlocked.Increment(ref _inTurn);
            if (now > _max) _max = now;
            await Task.Yield();
            _ticks++;
            Interlocked.Decrement(ref _inTurn);
        }, TimeSpan.Zero, period);
        return Task.CompletedTask;
    }

    public async Task<int> TicksAsync()
    {
        int now = Interlocked.Increment(ref _inTurn);
        if (now > _max) _max = now;
        await Task.Yield();
        Interlocked.Decrement(ref _inTurn);
        return _ticks;
    }

    public Task<int> MaxConcurrentTurnsAsync() => Task.FromResult(_max);
}

public sealed class ReminderGrain([PersistentState("reminder")] IPersistentState<CounterState> state) : Grain, IReminderGrain, IRemindable
{
    public async Task StartAsync(TimeSpan period) => await RegisterOrUpdateReminder("tick", period, period);

    public async Task StopAsync()
    {
        var reminder = await GetReminder("tick");
        if (reminder is not null) await UnregisterReminder(reminder);
    }

    public Task<int> TicksAsync() => Task.FromResult(state.State.Count);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        state.State.Count++;
        await state.WriteStateAsync();
    }
}

public sealed class ChatRoomGrain : Grain, IChatRoomGrain
{
    private readonly List<IChatObserver> _members = [];

    public Task JoinAsync(IChatObserver observer)
    {
        _members.Add(observer);
        return Task.CompletedTask;
    }

    public async Task<int> SendAsync(string message)
    {
        foreach (var m in _members) await m.ReceiveAsync(message);
        return _members.Count;
    }
}

[ImplicitStreamSubscription("orders")]
public sealed class StreamConsumerGrain : Grain, IStreamConsumerGrain, IStreamEventHandler<string>
{
    private readonly List<string> _received = [];

    public Task<IReadOnlyList<string>> ReceivedAsync() => Task.FromResult<IReadOnlyList<string>>(_received.ToArray());

    public Task OnStreamEventAsync(StreamId streamId, string item, StreamSequenceToken? token)
    {
        _received.Add(item + "#" + token?.SequenceNumber);
        return Task.CompletedTask;
    }
}

public sealed class ProducerGrain : Grain, IProducerGrain
{
    public Task PublishAsync(string streamKey, string item) =>
        GetStreamProvider("memory").GetStream<string>(new StreamId("orders", streamKey)).OnNextAsync(item);
}
