namespace Imv.Runtime.Messaging;

/// <summary>Carries encoded messages between silos. In memory for the test cluster; TCP later.</summary>
public interface ISiloTransport
{
    /// <summary>Registers the handler of messages for <paramref name="silo"/>.</summary>
    void Register(string silo, Action<ReadOnlyMemory<byte>> handler);

    /// <summary>Removes a silo's handler; messages for it are dropped from then on.</summary>
    void Unregister(string silo);

    /// <summary>Sends bytes to a silo; false when it is unreachable.</summary>
    bool Send(string silo, ReadOnlyMemory<byte> message);
}

/// <summary>An in-process transport: each message is handed to the target silo's handler on the thread pool,
/// as bytes, so the encode/decode path is the one a network transport uses.</summary>
public sealed class InMemorySiloTransport : ISiloTransport
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Action<ReadOnlyMemory<byte>>> _handlers = new();

    /// <inheritdoc />
    public void Register(string silo, Action<ReadOnlyMemory<byte>> handler) => _handlers[silo] = handler;

    /// <inheritdoc />
    public void Unregister(string silo) => _handlers.TryRemove(silo, out _);

    /// <inheritdoc />
    public bool Send(string silo, ReadOnlyMemory<byte> message)
    {
        if (!_handlers.TryGetValue(silo, out var handler)) return false;
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.handler(s.message), (handler, message), preferLocal: false);
        return true;
    }
}
