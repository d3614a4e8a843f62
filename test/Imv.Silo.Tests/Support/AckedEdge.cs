using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Imv.Gateways.Mqtt;

namespace Imv.Silo.Tests.Support;

/// <summary>An MQTT edge of many devices that records what the broker acknowledged: every round, each device publishes
/// one JSON reading <c>{"ts": ms, "values": {"counter": n}}</c> at QoS 1 on <c>edge/{device}/telemetry</c>, with
/// <c>n</c> counting up per device (1, 2, 3, ...), through the project's own MQTT client against a real broker. A value
/// whose PUBACK came back is acknowledged to the device: the grid must keep it (docs/mqtt.md, "Acknowledged means
/// stored"). Shared by the cluster test and <c>bench -- failover</c>.</summary>
public sealed class AckedEdge : IAsyncDisposable
{
    /// <summary>The tag every device reports.</summary>
    public const string Tag = "counter";

    private readonly MqttClient _client;
    private readonly string[] _devices;
    private readonly long[] _next;
    private readonly long[] _lastTimestamp;
    private readonly ConcurrentBag<long>[] _acked;
    private long _published, _ackedCount, _failed;

    /// <summary>Creates the edge for <paramref name="devices"/> devices named <c>m0001</c>, <c>m0002</c>, ...</summary>
    public AckedEdge(int brokerPort, int devices)
    {
        _devices = [.. Enumerable.Range(1, devices).Select(d => "m" + d.ToString("0000", CultureInfo.InvariantCulture))];
        _next = new long[devices];
        _lastTimestamp = new long[devices];
        _acked = [.. Enumerable.Range(0, devices).Select(_ => new ConcurrentBag<long>())];
        _client = new MqttClient(new MqttClientOptions
        {
            Port = brokerPort,
            ClientId = "acked-edge-" + Guid.NewGuid().ToString("N")[..8],
            MaxInFlight = 1000,
        });
    }

    /// <summary>The twin of each device, with the cluster's <c>Json:TwinIdTemplate=edge.{machine}</c>.</summary>
    public IReadOnlyList<string> Twins => [.. _devices.Select(d => "edge." + d)];

    /// <summary>The gateway settings (index <paramref name="index"/> of <c>Gateways:Mqtt</c>, named
    /// <paramref name="name"/>) that consume this edge without losing what the broker acknowledged: a resumed session
    /// (<c>CleanStart=false</c> with a session expiry), so that what the broker queued while no silo held the connection,
    /// and what it had delivered unacknowledged to a silo that died, comes to the silo taking over.</summary>
    public static string[] GatewayArgs(int index, string name, int brokerPort) =>
    [
        $"--Gateways:Mqtt:{index}:Name={name}", $"--Gateways:Mqtt:{index}:Port={brokerPort}", $"--Gateways:Mqtt:{index}:Mode=Json",
        $"--Gateways:Mqtt:{index}:Json:TelemetryTopic=edge/{{machine}}/telemetry", $"--Gateways:Mqtt:{index}:Json:TwinIdTemplate=edge.{{machine}}",
        $"--Gateways:Mqtt:{index}:CleanStart=false", $"--Gateways:Mqtt:{index}:SessionExpirySeconds=3600",
    ];

    /// <summary>Publications sent.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Publications the broker acknowledged.</summary>
    public long Acknowledged => Interlocked.Read(ref _ackedCount);

    /// <summary>Publications that failed (no PUBACK, or a refusal).</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The highest acknowledged value of each twin (0 when none).</summary>
    public IReadOnlyDictionary<string, long> HighestAcknowledged() =>
        Enumerable.Range(0, _devices.Length).ToDictionary(i => "edge." + _devices[i], i => _acked[i].IsEmpty ? 0 : _acked[i].Max(), StringComparer.Ordinal);

    /// <summary>How many acknowledged values of <paramref name="twin"/> are above <paramref name="stored"/>: readings the
    /// twin does not hold, since its values only go up.</summary>
    public int AcknowledgedAbove(string twin, double stored)
    {
        var i = Array.IndexOf(_devices, twin["edge.".Length..]);
        return _acked[i].Count(v => v > stored);
    }

    /// <summary>Connects to the broker.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken) => _client.ConnectAsync(cancellationToken);

    /// <summary>Publishes rounds (every device once per round, the round's publications concurrently, at most one round
    /// per <paramref name="interval"/>) until <paramref name="cancellationToken"/> is cancelled; a round under way is
    /// finished first so that every value sent is either acknowledged or failed.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var round = Task.Delay(interval, CancellationToken.None);
            await Task.WhenAll(Enumerable.Range(0, _devices.Length).Select(PublishNextAsync)).ConfigureAwait(false);
            await round.ConfigureAwait(false);
        }
    }

    private async Task PublishNextAsync(int device)
    {
        long value = ++_next[device];
        // Source timestamps strictly increase per device: the twin keeps the newest reading by timestamp.
        long ts = _lastTimestamp[device] = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _lastTimestamp[device] + 1);
        var payload = Encoding.UTF8.GetBytes($"{{\"ts\":{ts},\"values\":{{\"{Tag}\":{value}}}}}");
        Interlocked.Increment(ref _published);
        try
        {
            // Bounded: a publication the broker does not acknowledge within 30 s counts as failed (not acknowledged).
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var result = await _client.PublishAsync(new MqttApplicationMessage($"edge/{_devices[device]}/telemetry", payload, MqttQualityOfService.AtLeastOnce), timeout.Token).ConfigureAwait(false);
            if (result.IsSuccess)
            {
                _acked[device].Add(value);
                Interlocked.Increment(ref _ackedCount);
            }
            else Interlocked.Increment(ref _failed);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            Interlocked.Increment(ref _failed);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _client.DisposeAsync();
}
