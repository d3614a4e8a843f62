using System.Threading.Channels;
using Imv.Grains.Interfaces.Watching;
using Microsoft.Extensions.Logging;

namespace Imv.Client.Watching;

/// <summary>A live subscription to one grain's change feed, read as an async stream of <see cref="WatchEvent{TState, TChange}"/>.
/// It watches through an Orleans observer, renews the watch every <c>RenewInterval</c> (which also resubscribes after a
/// silo failover, a grain reactivation or a client reconnect), and reports every gap with the current state: no change is
/// missed silently. Dispose it to stop.</summary>
public abstract class LiveSubscription<TState, TChange> : IAsyncDisposable
    where TState : class where TChange : class
{
    private const int Capacity = 10_000;
    private readonly Channel<WatchEvent<TState, TChange>> _events =
        Channel.CreateBounded<WatchEvent<TState, TChange>>(new BoundedChannelOptions(Capacity) { SingleReader = false, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });
    private readonly FeedTracker<TChange> _tracker = new();
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _renewInterval;
    private readonly ILogger _logger;
    private Task? _renewLoop;
    private long _dropped;
    private bool _lost;
    private volatile bool _resyncNow;
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>Creates the subscription (not started).</summary>
    protected LiveSubscription(string key, TimeSpan renewInterval, ILogger logger)
    {
        Key = key;
        _renewInterval = renewInterval;
        _logger = logger;
    }

    /// <summary>The watched grain's key.</summary>
    public string Key { get; }

    /// <summary>Events dropped because the reader was too slow (each reported as a gap).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Registers (or renews) the observer with the grain: the feed position and the state as of it.</summary>
    protected abstract Task<(WatchPosition Position, TState State)> WatchAsync();

    /// <summary>Removes the observer from the grain (best effort).</summary>
    protected abstract Task UnwatchAsync();

    /// <summary>Releases the observer reference.</summary>
    protected abstract void ReleaseObserver();

    /// <summary>Starts: the first watch (its failure is thrown), then renewals in the background.</summary>
    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        var (position, state) = await WatchAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _tracker.Start(position);
            _events.Writer.TryWrite(new(WatchEventKind.Started, state, null, null));
        }
        _renewLoop = Task.Run(RenewLoopAsync, CancellationToken.None);
    }

    /// <summary>Called by the observer with each change of the feed.</summary>
    protected void OnChange(WatchPosition position, TChange change)
    {
        lock (_gate)
        {
            var (deliver, gap) = _tracker.OnChange(position, change);
            if (gap is not null)
            {
                // The state to resynchronize from comes with the renewal, asked for at once.
                _pendingGap = gap;
                RenewNow();
                return;
            }
            foreach (var c in deliver)
            {
                if (_events.Writer.TryWrite(new(WatchEventKind.Changed, null, c, null))) continue;
                Interlocked.Increment(ref _dropped);
                _pendingGap ??= "the reader fell more than " + Capacity + " events behind; changes were dropped";
                RenewNow();
            }
        }
    }

    private void RenewNow()
    {
        _resyncNow = true;
        try { if (_wake.CurrentCount == 0) _wake.Release(); }
        catch (ObjectDisposedException) { /* disposed meanwhile */ }
        catch (SemaphoreFullException) { /* already woken */ }
    }

    private string? _pendingGap;

    private async Task RenewLoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (!_resyncNow) await _wake.WaitAsync(_renewInterval, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) { return; }
            _resyncNow = false;
            try
            {
                var (position, state) = await WatchAsync().WaitAsync(token).ConfigureAwait(false);
                lock (_gate)
                {
                    if (_lost)
                    {
                        _lost = false;
                        Write(new(WatchEventKind.Restored, null, null, null));
                    }
                    var gap = _tracker.OnRenewed(position);
                    if (_pendingGap is not null)
                    {
                        gap = gap is null ? _pendingGap : _pendingGap + "; " + gap;
                        _pendingGap = null;
                        _tracker.Start(position);
                    }
                    if (gap is not null)
                    {
                        _logger.LogInformation("Subscription to {Key}: gap ({Reason}); resynchronized", Key, gap);
                        Write(new(WatchEventKind.Gap, state, null, gap));
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                lock (_gate)
                {
                    if (!_lost)
                    {
                        _lost = true;
                        _logger.LogWarning("Subscription to {Key} lost: {Error}", Key, e.Message);
                        Write(new(WatchEventKind.Lost, null, null, $"{e.GetType().Name}: {e.Message}"));
                    }
                }
                // Retry sooner than a full interval while lost, so the feed comes back quickly after a failover.
                _resyncNow = false;
                try { await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, _renewInterval.TotalMilliseconds)), token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
                _resyncNow = true;
            }
        }
    }

    private void Write(WatchEvent<TState, TChange> e)
    {
        // Control events must not be lost: they wait for room rather than drop (the reader is behind anyway).
        if (!_events.Writer.TryWrite(e)) _ = _events.Writer.WriteAsync(e, _stop.Token).AsTask();
    }

    /// <summary>The events, in order, until the subscription is disposed or <paramref name="cancellationToken"/> fires.</summary>
    public IAsyncEnumerable<WatchEvent<TState, TChange>> ReadAllAsync(CancellationToken cancellationToken = default) =>
        _events.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Waits for the next event.</summary>
    public ValueTask<WatchEvent<TState, TChange>> ReadAsync(CancellationToken cancellationToken = default) =>
        _events.Reader.ReadAsync(cancellationToken);

    /// <summary>Stops renewing, unwatches (best effort) and ends the event stream.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_renewLoop is not null) await _renewLoop.ConfigureAwait(false);
        try { await UnwatchAsync().WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); }
        catch (Exception e) when (e is not OutOfMemoryException) { _logger.LogDebug(e, "Unwatch of {Key} failed", Key); }
        ReleaseObserver();
        _events.Writer.TryComplete();
        _stop.Dispose();
        _wake.Dispose();
        GC.SuppressFinalize(this);
    }
}
