using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Imv.Bench.Mqtt;

/// <summary>The broker's limit: a bare MQTT 3.1.1 subscriber on a raw socket that only walks fixed headers
/// and counts PUBLISH packets; no decoding, no buffering, no twins.</summary>
internal sealed class RawCountingSubscriber : IAsyncDisposable
{
    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public async Task StartAsync(int port, string filter, CancellationToken cancellationToken)
    {
        await _socket.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        var clientId = Encoding.ASCII.GetBytes("bench-raw-" + Guid.NewGuid().ToString("N")[..6]);
        var connect = new List<byte> { 0x10, (byte)(10 + 2 + clientId.Length), 0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x02, 0, 60, 0, (byte)clientId.Length };
        connect.AddRange(clientId);
        var topic = Encoding.UTF8.GetBytes(filter);
        var subscribe = new List<byte> { 0x82, (byte)(2 + 2 + topic.Length + 1), 0, 1, 0, (byte)topic.Length };
        subscribe.AddRange(topic);
        subscribe.Add(0);
        await _socket.SendAsync(connect.Concat(subscribe).ToArray(), cancellationToken);
        // CONNACK (4 bytes) and SUBACK (5 bytes) come first.
        var head = new byte[9];
        var got = 0;
        while (got < head.Length) got += await _socket.ReceiveAsync(head.AsMemory(got), cancellationToken);
        if (head[0] != 0x20 || head[3] != 0 || head[4] != 0x90) throw new InvalidOperationException("raw subscriber: broker refused CONNECT or SUBSCRIBE");
        _loop = Task.Run(() => CountAsync(_stop.Token), CancellationToken.None);
    }

    private async Task CountAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[256 * 1024];
        var header = new byte[5];
        var headerLength = 0;
        long skip = 0;
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer, cancellationToken);
                if (read == 0) return;
                var i = 0;
                while (i < read)
                {
                    if (skip > 0)
                    {
                        var n = (int)Math.Min(skip, read - i);
                        skip -= n;
                        i += n;
                        continue;
                    }
                    header[headerLength++] = buffer[i++];
                    if (headerLength < 2 || (header[headerLength - 1] & 0x80) != 0 && headerLength < 5) continue;
                    long remaining = 0;
                    for (var k = 1; k < headerLength; k++) remaining |= (long)(header[k] & 0x7F) << (7 * (k - 1));
                    if (header[0] >> 4 == 3) Interlocked.Increment(ref _count);
                    skip = remaining;
                    headerLength = 0;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        catch (SocketException)
        {
            // Broker gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}
