using Google.Protobuf;
using Imv.Gateways.Mqtt;
using Imv.Gateways.Sparkplug;
using Imv.Gateways.Sparkplug.Proto;
using Metric = Imv.Gateways.Sparkplug.Proto.Payload.Types.Metric;

namespace Imv.Bench.Mqtt;

/// <summary>A Sparkplug B edge node publishing as fast as it can: births, then DDATA with three metrics by alias.</summary>
internal sealed class BenchEdgeNode : IAsyncDisposable
{
    private readonly string _group;
    private readonly string _edge;
    private readonly int _devices;
    private readonly string[] _dataTopics;
    private int _seq = -1;

    public BenchEdgeNode(int port, string group, string edge, int devices)
    {
        _group = group;
        _edge = edge;
        _devices = devices;
        _dataTopics = Enumerable.Range(0, devices).Select(d => $"spBv1.0/{group}/DDATA/{edge}/d{d}").ToArray();
        Client = new MqttClient(new MqttClientOptions
        {
            Port = port,
            ClientId = $"bench-{edge}-{Guid.NewGuid():N}"[..23],
            ProtocolVersion = MqttProtocolVersion.V500,
            ReceiveBufferCapacity = 10_000,
        });
    }

    public MqttClient Client { get; }

    private ulong NextSeq() => (ulong)(_seq = (_seq + 1) % 256);

    private static ulong Now() => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await Client.ConnectAsync(cancellationToken);
        _seq = -1;
        var nbirth = new Payload { Timestamp = Now(), Seq = NextSeq() };
        nbirth.Metrics.Add(new Metric { Name = "bdSeq", Datatype = (uint)SparkplugDataType.Int64, LongValue = 0 });
        await Client.PublishAsync(new MqttApplicationMessage($"spBv1.0/{_group}/NBIRTH/{_edge}", nbirth.ToByteArray(), MqttQualityOfService.AtLeastOnce), cancellationToken);
        for (var d = 0; d < _devices; d++)
        {
            var dbirth = new Payload { Timestamp = Now(), Seq = NextSeq() };
            var alias = (ulong)(d * 10);
            dbirth.Metrics.Add(new Metric { Name = "pv", Alias = alias + 1, Datatype = (uint)SparkplugDataType.Double, DoubleValue = 0 });
            dbirth.Metrics.Add(new Metric { Name = "temp", Alias = alias + 2, Datatype = (uint)SparkplugDataType.Double, DoubleValue = 0 });
            dbirth.Metrics.Add(new Metric { Name = "count", Alias = alias + 3, Datatype = (uint)SparkplugDataType.Int64, LongValue = 0 });
            dbirth.Metrics.Add(new Metric { Name = "sp", Alias = alias + 4, Datatype = (uint)SparkplugDataType.Double, DoubleValue = 0 });
            await Client.PublishAsync(new MqttApplicationMessage($"spBv1.0/{_group}/DBIRTH/{_edge}/d{d}", dbirth.ToByteArray(), MqttQualityOfService.AtLeastOnce), cancellationToken);
        }
    }

    /// <summary>Publishes <paramref name="count"/> DDATA messages round-robin over the devices, QoS 0.</summary>
    public async Task PublishDataAsync(int count, CancellationToken cancellationToken)
    {
        var payload = new Payload();
        var pv = new Metric { Alias = 1, DoubleValue = 0 };
        var temp = new Metric { Alias = 2, DoubleValue = 0 };
        var counter = new Metric { Alias = 3, LongValue = 0 };
        payload.Metrics.Add(pv);
        payload.Metrics.Add(temp);
        payload.Metrics.Add(counter);
        for (var i = 0; i < count; i++)
        {
            var d = i % _devices;
            var alias = (ulong)(d * 10);
            pv.Alias = alias + 1;
            pv.DoubleValue = i;
            temp.Alias = alias + 2;
            temp.DoubleValue = 20 + (i & 7);
            counter.Alias = alias + 3;
            counter.LongValue = (ulong)i;
            payload.Timestamp = Now();
            payload.Seq = NextSeq();
            await Client.PublishAsync(new MqttApplicationMessage(_dataTopics[d], payload.ToByteArray()), cancellationToken);
        }
    }

    /// <summary>One DDATA with only pv for device 0 (the control loop's measurement).</summary>
    public ValueTask<MqttPublishResult> PublishProcessValueAsync(double value, CancellationToken cancellationToken)
    {
        var payload = new Payload { Timestamp = Now(), Seq = NextSeq() };
        payload.Metrics.Add(new Metric { Alias = 1, DoubleValue = value });
        return Client.PublishAsync(new MqttApplicationMessage(_dataTopics[0], payload.ToByteArray()), cancellationToken);
    }

    /// <summary>Reports the device's set point (alias 4), as a real device confirms a command it carried out.</summary>
    public ValueTask<MqttPublishResult> PublishSetPointAsync(double value, CancellationToken cancellationToken)
    {
        var payload = new Payload { Timestamp = Now(), Seq = NextSeq() };
        payload.Metrics.Add(new Metric { Alias = 4, DoubleValue = value });
        return Client.PublishAsync(new MqttApplicationMessage(_dataTopics[0], payload.ToByteArray()), cancellationToken);
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
