using System.Threading.Channels;
using Imv.Client;
using Imv.Client.Watching;

namespace Imv.Silo.Live;

/// <summary>One page's live feed: a subscription (the SDK's, with its renewals and gap reports) per machine below the
/// followed organization and per organization in that subtree, merged into one ordered stream of events for the page.
/// The subscriptions are Orleans observers on the grains: nothing polls.</summary>
internal sealed class LiveFeed : IAsyncDisposable
{
    private readonly ImvClient _imv;
    private readonly ILogger _logger;
    private readonly Channel<(string Event, object Data)> _out = Channel.CreateBounded<(string, object)>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.Wait });
    private readonly List<IAsyncDisposable> _subscriptions = [];
    private readonly List<Task> _pumps = [];
    private readonly CancellationTokenSource _stop = new();

    public LiveFeed(ImvClient imv, ILogger logger)
    {
        _imv = imv;
        _logger = logger;
    }

    /// <summary>The events to send, in order.</summary>
    public ChannelReader<(string Event, object Data)> Events => _out.Reader;

    /// <summary>Subscribes to every organization and machine below <paramref name="organizationId"/>, and to
    /// <paramref name="twinIds"/>. Returns the number of twins followed; -1 when the organization does not exist.</summary>
    public async Task<int> StartAsync(string? organizationId, IReadOnlyList<string> twinIds, CancellationToken cancellationToken)
    {
        var twins = new HashSet<string>(twinIds, StringComparer.Ordinal);
        var orgs = new List<string>();
        if (organizationId is not null)
        {
            var tree = await _imv.Organizations.TreeAsync(organizationId, cancellationToken).ConfigureAwait(false);
            if (tree is null) return -1;
            void Walk(Client.Access.OrganizationNode n)
            {
                orgs.Add(n.Info.Id);
                twins.UnionWith(n.Info.Machines);
                foreach (var c in n.Children) Walk(c);
            }
            Walk(tree);
        }
        // Subscribe in parallel, a bounded number at a time: a page of 1,000 machines starts in about a second.
        using var gate = new SemaphoreSlim(64);
        var starts = orgs.Select(id => Start(gate, () => _imv.Organizations.WatchAsync(id, cancellationToken), Pump, cancellationToken))
            .Concat(twins.Select(id => Start(gate, () => _imv.Twins.WatchAsync(id, cancellationToken), Pump, cancellationToken)));
        await Task.WhenAll(starts).ConfigureAwait(false);
        return twins.Count;
    }

    private async Task Start<TSub>(SemaphoreSlim gate, Func<Task<TSub>> watch, Func<TSub, Task> pump, CancellationToken cancellationToken) where TSub : IAsyncDisposable
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var subscription = await watch().ConfigureAwait(false);
            lock (_subscriptions)
            {
                _subscriptions.Add(subscription);
                _pumps.Add(Task.Run(() => pump(subscription), CancellationToken.None));
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task Pump(TwinSubscription s)
    {
        try
        {
            await foreach (var e in s.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                LiveTwin view = e.Kind switch
                {
                    WatchEventKind.Started => LiveTwin.Of(e.State!, "snapshot", null),
                    WatchEventKind.Gap => LiveTwin.Of(e.State!, "snapshot", e.Reason),
                    WatchEventKind.Changed => LiveTwin.Of(e.Change!),
                    _ => new LiveTwin(s.Key, e.Kind.ToString().ToLowerInvariant(), e.Reason, null, null, [], [], []),
                };
                await _out.Writer.WriteAsync(("twin", view), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    private async Task Pump(OrganizationSubscription s)
    {
        try
        {
            await foreach (var e in s.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                var aggregate = e.Change?.Aggregate ?? e.State;
                if (aggregate is null) continue;
                var view = new LiveOrganization(s.Key, e.Kind.ToString().ToLowerInvariant(), e.Reason, Api.OrganizationEndpoints.AggregateView.Of(aggregate));
                await _out.Writer.WriteAsync(("org", view), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        List<IAsyncDisposable> subscriptions;
        lock (_subscriptions) subscriptions = [.. _subscriptions];
        await Task.WhenAll(subscriptions.Select(s => s.DisposeAsync().AsTask())).ConfigureAwait(false);
        try { await Task.WhenAll(_pumps).ConfigureAwait(false); }
        catch (Exception e) when (e is not OutOfMemoryException) { _logger.LogDebug(e, "A live feed pump ended with an error"); }
        _stop.Dispose();
    }
}
