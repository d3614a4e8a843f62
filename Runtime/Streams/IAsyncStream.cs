namespace Imv.Runtime.Streams;

/// <summary>A stream: produce events with OnNextAsync, consume them by subscribing.</summary>
/// <typeparam name="T">The event type.</typeparam>
public interface IAsyncStream<T>
{
    /// <summary>The stream's id.</summary>
    StreamId StreamId { get; }

    /// <summary>Publishes one event; completes when every subscriber has been handed it.</summary>
    Task OnNextAsync(T item, StreamSequenceToken? token = null, CancellationToken cancellationToken = default);

    /// <summary>Subscribes a handler; events arrive in order per producer. Dispose the handle to unsubscribe.</summary>
    Task<StreamSubscriptionHandle> SubscribeAsync(Func<T, StreamSequenceToken?, Task> onNext, CancellationToken cancellationToken = default);
}

/// <summary>A position in a stream, for providers that keep events (replay); null for in-memory streams.</summary>
/// <param name="SequenceNumber">Monotonic per stream.</param>
public sealed record StreamSequenceToken(long SequenceNumber);

/// <summary>A stream subscription; dispose to unsubscribe.</summary>
public abstract class StreamSubscriptionHandle : IAsyncDisposable
{
    /// <summary>The subscribed stream.</summary>
    public abstract StreamId StreamId { get; }

    /// <summary>Unsubscribes.</summary>
    public abstract ValueTask DisposeAsync();
}
