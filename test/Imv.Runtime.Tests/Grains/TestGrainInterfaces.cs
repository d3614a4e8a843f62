using Imv.Runtime;

namespace Imv.Runtime.Tests.Grains;

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> IncrementAsync();
    Task<int> IncrementWithAwaitAsync();
    Task<int> GetAsync();
    Task<int> MaxConcurrentTurnsAsync();
    Task<string> SiloNameAsync();
    Task<int> HoldTurnAfterOneWayAsync(ICounterGrain other, int holdMs);
    [OneWay] Task PokeBackAsync(ICounterGrain caller);
}

[GenerateSerializer]
public sealed class CounterState
{
    [Id(0)] public int Count { get; set; }
    [Id(1)] public List<string> History { get; set; } = [];
}

public interface IPersistentCounterGrain : IGrainWithStringKey
{
    Task<int> IncrementAsync();
    Task<int> GetAsync();
    Task<string?> ETagAsync();
    Task DeactivateAsync();
}

public interface ICycleGrain : IGrainWithStringKey
{
    Task<string> StartCycleAsync(ICycleGrain peer);
    Task<string> CallBackAsync(ICycleGrain origin);
    Task<string> PingAsync();
    Task<int> StateAsync();
}

public interface IFaultyGrain : IGrainWithIntegerKey
{
    Task ThrowAsync(string message);
    Task<int> ThrowSynchronouslyAsync(string message);
    Task<int> DelayAsync(int milliseconds);
}

public interface IInterleavingGrain : IGrainWithGuidKey
{
    Task<int> WaitForSignalAsync();
    [AlwaysInterleave] Task SignalAsync();
    [OneWay] Task FireAsync(int value);
    Task<int> SumAsync();
}

public interface IWorkerGrain : IGrainWithStringKey
{
    Task<string> WhoAmIAsync(int delayMs);
}

public interface ITimerGrain : IGrainWithStringKey
{
    Task StartAsync(TimeSpan period);
    Task<int> TicksAsync();
    Task<int> MaxConcurrentTurnsAsync();
}

public interface IReminderGrain : IGrainWithStringKey
{
    Task StartAsync(TimeSpan period);
    Task StopAsync();
    Task<int> TicksAsync();
}

public interface IChatObserver : IGrainObserver
{
    Task ReceiveAsync(string message);
}

public interface IChatRoomGrain : IGrainWithStringKey
{
    Task JoinAsync(IChatObserver observer);
    Task<int> SendAsync(string message);
}

public interface IStreamConsumerGrain : IGrainWithStringKey
{
    Task<IReadOnlyList<string>> ReceivedAsync();
}

public interface IProducerGrain : IGrainWithStringKey
{
    Task PublishAsync(string streamKey, string item);
}

public interface IUnimplementedGrain : IGrainWithStringKey
{
    Task NothingAsync();
}
