using Imv.Grains.Interfaces.Twins;
using Imv.Grains.Interfaces.Watching;
using Microsoft.Extensions.Logging;

namespace Imv.Client.Watching;

/// <summary>A live subscription to a twin: its snapshot to start from, then every change (tags, alarms, commands,
/// connectivity) as it is stored, with gaps reported.</summary>
public sealed class TwinSubscription : LiveSubscription<TwinSnapshot, TwinChange>
{
    private readonly IGrainFactory _grains;
    private readonly Observer _observer;
    private readonly ITwinObserver _reference;

    internal TwinSubscription(IGrainFactory grains, string twinId, TimeSpan renewInterval, ILogger logger) : base(twinId, renewInterval, logger)
    {
        _grains = grains;
        _observer = new Observer(this);
        _reference = grains.CreateObjectReference<ITwinObserver>(_observer);
    }

    /// <inheritdoc />
    protected override async Task<(WatchPosition Position, TwinSnapshot State)> WatchAsync()
    {
        var watch = await _grains.GetGrain<IMachineGrain>(Key).WatchAsync(_reference).ConfigureAwait(false);
        return (watch.Position, watch.Snapshot);
    }

    /// <inheritdoc />
    protected override Task UnwatchAsync() => _grains.GetGrain<IMachineGrain>(Key).UnwatchAsync(_reference);

    /// <inheritdoc />
    protected override void ReleaseObserver() => _grains.DeleteObjectReference<ITwinObserver>(_reference);

    private sealed class Observer(TwinSubscription owner) : ITwinObserver
    {
        public Task OnTwinChangedAsync(TwinChange change)
        {
            owner.OnChange(change.Position, change);
            return Task.CompletedTask;
        }
    }
}
