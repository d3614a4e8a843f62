using System.Collections.Concurrent;

namespace Imv.Persistence.Sqlite.Tests;

/// <summary>A grain with persistent state on the "Default" storage and reminders.</summary>
public interface ITestStateGrain : IGrainWithStringKey
{
    Task<int> GetValue();

    Task SetValue(int value);

    Task<string?> GetETag();

    Task ClearState();

    Task StartReminder(string name, TimeSpan period);

    Task StopReminder(string name);

    /// <summary>Writes <paramref name="value"/> and tells where the grain resumed after the write: the type of
    /// <see cref="TaskScheduler.Current"/> and the thread's name.</summary>
    Task<(string Scheduler, string? Thread)> SetValueAndTellWhereResumed(int value);
}

public sealed class TestStateGrain([PersistentState("s", "Default")] IPersistentState<CounterState> state) : Grain, ITestStateGrain, IRemindable
{
    /// <summary>Reminder ticks received, by "grain key/reminder name" (the test silos run in this process).</summary>
    public static readonly ConcurrentDictionary<string, int> Ticks = new();

    public Task<int> GetValue() => Task.FromResult(state.State.Value);

    public async Task SetValue(int value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
    }

    public Task<string?> GetETag() => Task.FromResult(state.Etag);

    public async Task<(string Scheduler, string? Thread)> SetValueAndTellWhereResumed(int value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
        return (TaskScheduler.Current.GetType().Name, Thread.CurrentThread.Name);
    }

    public Task ClearState() => state.ClearStateAsync();

    public Task StartReminder(string name, TimeSpan period) => this.RegisterOrUpdateReminder(name, period, period);

    public async Task StopReminder(string name)
    {
        var reminder = await this.GetReminder(name);
        if (reminder is not null) await this.UnregisterReminder(reminder);
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        Ticks.AddOrUpdate(this.GetPrimaryKeyString() + "/" + reminderName, 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }
}
