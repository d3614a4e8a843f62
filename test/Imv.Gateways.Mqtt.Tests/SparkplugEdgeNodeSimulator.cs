using System.Collections.Concurrent;
using Google.Protobuf;
using Imv.Gateways.Sparkplug;
using Imv.Gateways.Sparkplug.Proto;
using Metric = Imv.Gateways.Sparkplug.Proto.Payload.Types.Metric;

namespace Imv.Gateways.Mqtt.Tests;

/// <summary>A Sparkplug B edge node written for the tests: births with aliases and properties, data by alias,
/// death certificate as will, rebirth on NCMD, and it records and applies DCMD/NCMD writes.</summary>
public sealed class SparkplugEdgeNodeSimulator : IAsyncDisposable
{
    private readonly MosquittoBroker _broker;
    private readonly string _group;
    private readonly string _edge;
    private readonly string[] _devices;
    private readonly ulong _bdSeq;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _publishLock = new();
    private MqttClient _client = null!;
    private Task? _loop;
    private int _seq = -1;

    public SparkplugEdgeNodeSimulator(MosquittoBroker broker, string group, string edge, string[] devices, ulong bdSeq = 7)
    {
        _broker = broker;
        _group = group;
        _edge = edge;
        _devices = devices;
        _bdSeq = bdSeq;
    }

    public int Rebirths;
    public ConcurrentQueue<(string Topic, Metric Metric)> CommandsReceived { get; } = new();
    public ConcurrentDictionary<string, double> DeviceValues { get; } = new();
    public bool ApplyCommands { get; set; } = true;
    public MqttClient Client => _client;

    public static Metric Double(string name, double value, ulong alias, string? unit = null)
    {
        var m = new Metric { Name = name, Alias = alias, Datatype = (uint)SparkplugDataType.Double, DoubleValue = value };
        if (unit is not null)
        {
            m.Properties = new Payload.Types.PropertySet();
            m.Properties.Keys.Add("engUnit");
            m.Properties.Values.Add(new Payload.Types.PropertyValue { Type = (uint)SparkplugDataType.String, StringValue = unit });
            m.Properties.Keys.Add("engHigh");
            m.Properties.Values.Add(new Payload.Types.PropertyValue { Type = (uint)SparkplugDataType.Double, DoubleValue = 150 });
        }
        return m;
    }

    private Payload NodeDeath() => new() { Timestamp = Now(), Metrics = { new Metric { Name = "bdSeq", Datatype = (uint)SparkplugDataType.Int64, LongValue = _bdSeq } } };

    public async Task StartAsync(bool birth = true)
    {
        var options = _broker.ClientOptions($"edge-{_group}-{_edge}");
        options.Will = new MqttApplicationMessage($"spBv1.0/{_group}/NDEATH/{_edge}", NodeDeath().ToByteArray(), MqttQualityOfService.AtLeastOnce);
        options.ReceiveBufferCapacity = 10_000;
        _client = new MqttClient(options);
        await _client.ConnectAsync(Wait.Token());
        await _client.SubscribeAsync([new MqttSubscription($"spBv1.0/{_group}/NCMD/{_edge}"), new MqttSubscription($"spBv1.0/{_group}/DCMD/{_edge}/#")], Wait.Token());
        _loop = Task.Run(ProcessCommandsAsync);
        if (birth) await BirthAsync();
    }

    private static ulong Now() => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private ulong NextSeq() => (ulong)(_seq = (_seq + 1) % 256);

    /// <summary>NBIRTH (seq 0, bdSeq, node metrics) then a DBIRTH per device.</summary>
    public Task BirthAsync() => LockedAsync(BirthCoreAsync);

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Seq numbers must go out in order: one publisher at a time.</summary>
    private async Task LockedAsync(Func<Task> action)
    {
        await _gate.WaitAsync();
        try
        {
            await action();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task BirthCoreAsync()
    {
        _seq = -1;
        var nbirth = new Payload { Timestamp = Now(), Seq = NextSeq() };
        nbirth.Metrics.Add(new Metric { Name = "bdSeq", Datatype = (uint)SparkplugDataType.Int64, LongValue = _bdSeq });
        nbirth.Metrics.Add(new Metric { Name = "Node Control/Rebirth", Datatype = (uint)SparkplugDataType.Boolean, BooleanValue = false });
        nbirth.Metrics.Add(new Metric { Name = "Uptime", Alias = 1, Datatype = (uint)SparkplugDataType.Int64, LongValue = 1000 });
        nbirth.Metrics.Add(new Metric { Name = "Mode", Alias = 2, Datatype = (uint)SparkplugDataType.Int32, IntValue = 1 });
        await PublishAsync($"spBv1.0/{_group}/NBIRTH/{_edge}", nbirth);
        for (var d = 0; d < _devices.Length; d++)
        {
            var dbirth = new Payload { Timestamp = Now(), Seq = NextSeq() };
            var baseAlias = (ulong)(100 + d * 10);
            var temperature = DeviceValues.GetValueOrDefault(_devices[d] + "/Temperature", 20.5);
            dbirth.Metrics.Add(Double("Temperature", temperature, baseAlias, "degC"));
            dbirth.Metrics.Add(Double("SetPoint", DeviceValues.GetValueOrDefault(_devices[d] + "/SetPoint", 50), baseAlias + 1));
            dbirth.Metrics.Add(new Metric { Name = "Running", Alias = baseAlias + 2, Datatype = (uint)SparkplugDataType.Boolean, BooleanValue = true });
            dbirth.Metrics.Add(new Metric { Name = "Count", Alias = baseAlias + 3, Datatype = (uint)SparkplugDataType.UInt16, IntValue = 65535 });
            dbirth.Metrics.Add(new Metric { Name = "Name", Alias = baseAlias + 4, Datatype = (uint)SparkplugDataType.String, StringValue = _devices[d] });
            dbirth.Metrics.Add(new Metric { Name = "Profile", Alias = baseAlias + 5, Datatype = (uint)SparkplugDataType.DoubleArray, BytesValue = SparkplugMetricCodec.EncodeDoubleArray([1.5, 2.5]) });
            await PublishAsync($"spBv1.0/{_group}/DBIRTH/{_edge}/{_devices[d]}", dbirth);
        }
    }

    /// <summary>DDATA with a metric by alias only (as edge nodes do after birth).</summary>
    public Task DeviceDataAsync(int device, double temperature, ulong? timestamp = null, bool byAlias = true) =>
        LockedAsync(() => DeviceDataCoreAsync(device, temperature, timestamp, byAlias));

    private Task DeviceDataCoreAsync(int device, double temperature, ulong? timestamp, bool byAlias)
    {
        DeviceValues[_devices[device] + "/Temperature"] = temperature;
        var payload = new Payload { Timestamp = Now(), Seq = NextSeq() };
        var metric = new Metric { Datatype = (uint)SparkplugDataType.Double, DoubleValue = temperature, Timestamp = timestamp ?? Now() };
        if (byAlias) metric.Alias = (ulong)(100 + device * 10); else metric.Name = "Temperature";
        payload.Metrics.Add(metric);
        return PublishAsync($"spBv1.0/{_group}/DDATA/{_edge}/{_devices[device]}", payload);
    }

    public Task NodeDataAsync(long uptime) => LockedAsync(() =>
    {
        var payload = new Payload { Timestamp = Now(), Seq = NextSeq() };
        payload.Metrics.Add(new Metric { Alias = 1, Datatype = (uint)SparkplugDataType.Int64, LongValue = (ulong)uptime });
        return PublishAsync($"spBv1.0/{_group}/NDATA/{_edge}", payload);
    });

    public Task DeviceDeathAsync(int device) => LockedAsync(() =>
        PublishAsync($"spBv1.0/{_group}/DDEATH/{_edge}/{_devices[device]}", new Payload { Timestamp = Now(), Seq = NextSeq() }));

    /// <summary>Skips a seq number, as if a message was lost.</summary>
    public Task LoseOneSeqAsync() => LockedAsync(() => { NextSeq(); return Task.CompletedTask; });

    public Task PublishRawAsync(string topic, byte[] payload) =>
        _client.PublishAsync(new MqttApplicationMessage(topic, payload, MqttQualityOfService.AtLeastOnce), Wait.Token()).AsTask();

    public Task NodeDeathAsync(ulong bdSeq) =>
        PublishAsync($"spBv1.0/{_group}/NDEATH/{_edge}", new Payload { Timestamp = Now(), Metrics = { new Metric { Name = "bdSeq", Datatype = (uint)SparkplugDataType.Int64, LongValue = bdSeq } } });

    private async Task PublishAsync(string topic, Payload payload)
    {
        var result = await _client.PublishAsync(new MqttApplicationMessage(topic, payload.ToByteArray(), MqttQualityOfService.AtLeastOnce), Wait.Token());
        if (!result.IsSuccess) throw new InvalidOperationException($"publish to {topic} refused: {result.ReasonCode}");
    }

    private async Task ProcessCommandsAsync()
    {
        try
        {
            await foreach (var message in _client.Messages.ReadAllAsync(_stop.Token))
            {
                var payload = Payload.Parser.ParseFrom(message.Payload);
                foreach (var metric in payload.Metrics) CommandsReceived.Enqueue((message.Topic, metric));
                if (message.Topic.Contains("/NCMD/", StringComparison.Ordinal) && payload.Metrics.Any(m => m.Name == "Node Control/Rebirth" && m.BooleanValue))
                {
                    Interlocked.Increment(ref Rebirths);
                    await BirthAsync();
                    continue;
                }
                if (ApplyCommands && message.Topic.Contains("/DCMD/", StringComparison.Ordinal))
                {
                    var device = Array.IndexOf(_devices, message.Topic.Split('/')[^1]);
                    foreach (var metric in payload.Metrics.Where(m => m.Name == "SetPoint"))
                    {
                        DeviceValues[_devices[device] + "/SetPoint"] = metric.DoubleValue;
                        await LockedAsync(() =>
                        {
                            var data = new Payload { Timestamp = Now(), Seq = NextSeq() };
                            data.Metrics.Add(new Metric { Alias = (ulong)(100 + device * 10 + 1), Datatype = (uint)SparkplugDataType.Double, DoubleValue = metric.DoubleValue });
                            return PublishAsync($"spBv1.0/{_group}/DDATA/{_edge}/{_devices[device]}", data);
                        });
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        catch (ObjectDisposedException)
        {
            // Client gone.
        }
        catch (Exception ex) when (_stop.IsCancellationRequested && ex is InvalidOperationException or IOException)
        {
            // A read-back or rebirth in flight when the node crashed (CrashAsync aborts the client under it).
        }
    }

    /// <summary>Vanishes without DISCONNECT: the broker publishes the NDEATH will.</summary>
    public async Task CrashAsync()
    {
        await _client.AbortAsync();
        await _stop.CancelAsync();
    }

    public async ValueTask DisposeAsync()
    {
        // The command loop first, the client after: a read-back the loop is publishing (the answer to a DCMD the
        // test sent just before disposing) completes on a live client instead of failing on a disposed one.
        await _stop.CancelAsync();
        if (_loop is not null) await _loop;
        await _client.DisposeAsync();
    }
}
