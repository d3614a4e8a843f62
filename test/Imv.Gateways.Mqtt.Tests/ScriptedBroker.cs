using System.Net;
using System.Net.Sockets;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>A scripted MQTT 5 "broker" on a loopback port, for what mosquitto never sends: inbound topic
/// aliases, duplicate QoS 2 deliveries, malformed packets. Each accepted connection gets CONNACK and then runs
/// the script for that connection number.</summary>
public sealed class ScriptedBroker : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<int, NetworkStream, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accept;
    private int _connections;

    public ScriptedBroker(Func<int, NetworkStream, Task> script)
    {
        _script = script;
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                var number = Interlocked.Increment(ref _connections);
                _ = Task.Run(async () =>
                {
                    using var stream = new NetworkStream(socket, ownsSocket: true);
                    try
                    {
                        await ReadPacketAsync(stream); // CONNECT
                        await stream.WriteAsync(new byte[] { 0x20, 0x03, 0x00, 0x00, 0x00 }); // CONNACK v5, success, no properties
                        await _script(number, stream);
                        // Keep the connection open until the client or the test ends it.
                        while (await ReadPacketAsync(stream) is not null) { }
                    }
                    catch (IOException)
                    {
                        // Client went away.
                    }
                    catch (OperationCanceledException)
                    {
                        // Stopped.
                    }
                });
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        catch (SocketException)
        {
            // Stopped.
        }
    }

    /// <summary>Reads one packet (first byte and body); null at end of stream.</summary>
    public static async Task<(byte First, byte[] Body)?> ReadPacketAsync(NetworkStream stream)
    {
        var one = new byte[1];
        if (await stream.ReadAsync(one) == 0) return null;
        var first = one[0];
        int length = 0, shift = 0;
        while (true)
        {
            if (await stream.ReadAsync(one) == 0) return null;
            length |= (one[0] & 0x7F) << shift;
            shift += 7;
            if ((one[0] & 0x80) == 0) break;
        }
        var body = new byte[length];
        await stream.ReadExactlyAsync(body);
        return (first, body);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accept;
        _stop.Dispose();
    }
}
