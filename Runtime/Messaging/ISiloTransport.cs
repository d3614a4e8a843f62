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

/// <summary>An in-process transport: messages are handed to the target silo's handler as bytes, so the
/// encode/decode path is the one a network transport uses, and in order per target silo (as a TCP
/// connection would deliver them): one reader per target drains its queue.</summary>
public sealed class InMemorySiloTransport : ISiloTransport
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Inbox> _inboxes = new();

    /// <inheritdoc />
    public void Register(string silo, Action<ReadOnlyMemory<byte>> handler)
    {
        var inbox = new Inbox(handler);
        if (_inboxes.TryGetValue(silo, out var old)) old.Close();
        _inboxes[silo] = inbox;
    }

    /// <inheritdoc />
    public void Unregister(string silo)
    {
        if (_inboxes.TryRemove(silo, out var inbox)) inbox.Close();
    }

    /// <inheritdoc />
    public bool Send(string silo, ReadOnlyMemory<byte> message) =>
        _inboxes.TryGetValue(silo, out var inbox) && inbox.Post(message);

    private sealed class Inbox
    {
        private readonly System.Threading.Channels.Channel<ReadOnlyMemory<byte>> _queue =
            System.Threading.Channels.Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new() { SingleReader = true });
        private readonly Action<ReadOnlyMemory<byte>> _handler;

        public Inbox(Action<ReadOnlyMemory<byte>> handler)
        {
            _handler = handler;
            _ = Task.Run(DrainAsync);
        }

        public bool Post(ReadOnlyMemory<byte> message) => _queue.Writer.TryWrite(message);

        public void Close() => _queue.Writer.TryComplete();

        private async Task DrainAsync()
        {
            // The handler decodes and queues into activations; it never waits, and catches its own errors.
            await foreach (var message in _queue.Reader.ReadAllAsync().ConfigureAwait(false)) _handler(message);
        }
    }
}
