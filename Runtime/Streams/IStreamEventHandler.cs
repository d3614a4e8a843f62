namespace Imv.Runtime.Streams;

/// <summary>Implemented by grain classes with <see cref="ImplicitStreamSubscriptionAttribute"/>: events of the
/// subscribed namespace whose stream key equals the grain's key arrive here, as turns of the grain.</summary>
/// <typeparam name="T">The event type.</typeparam>
public interface IStreamEventHandler<in T>
{
    /// <summary>One event.</summary>
    Task OnStreamEventAsync(StreamId streamId, T item, StreamSequenceToken? token);
}
