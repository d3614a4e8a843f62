namespace Imv.Runtime.Streams;

/// <summary>A named stream provider (in-memory now; persistent and replayable later).</summary>
public interface IStreamProvider
{
    /// <summary>The provider's name.</summary>
    string Name { get; }

    /// <summary>A handle to the stream <paramref name="id"/> carrying events of type <typeparamref name="T"/>.</summary>
    IAsyncStream<T> GetStream<T>(StreamId id);
}
