using Imv.Gateways.Twins;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Imv.Gateways.Mqtt;
using Imv.Gateways.MqttGateway;
using Imv.Gateways.Sparkplug.Proto;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;
using Metric = Imv.Gateways.Sparkplug.Proto.Payload.Types.Metric;

namespace Imv.Gateways.Sparkplug;

/// <summary>A Sparkplug B primary host application: publishes its STATE, follows births, data and deaths of
/// edge nodes and devices into twins, checks seq and bdSeq, asks for rebirth when it lost track, and sends
/// commands as NCMD/DCMD.</summary>
internal sealed class SparkplugHostApplication : IMqttGatewayMode
{
    private const string RebirthMetric = "Node Control/Rebirth";
    private static readonly string[] DeviceNames = ["group", "edge", "device"];
    private static readonly string[] NodeNames = ["group", "edge"];

    private readonly string _gateway;
    private readonly SparkplugGatewayOptions _options;
    private readonly HashSet<string> _groups;
    private readonly TwinIdTemplate _deviceTwinId;
    private readonly TwinIdTemplate _nodeTwinId;
    private readonly MqttGatewayStatistics _statistics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SparkplugEdgeNode> _nodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SparkplugTwinRoute> _routes = new(StringComparer.Ordinal);
    private readonly string _stateTopic;
    private readonly long _stateTimestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly Dictionary<string, SparkplugTopic> _topics = new(StringComparer.Ordinal);
    private IMqttGatewayClient? _client;
    private long _readings;

    private readonly TwinMapping _twinMapping;

    public SparkplugHostApplication(string gateway, SparkplugGatewayOptions options, MqttGatewayStatistics statistics, ILogger logger, TwinMapping? twinMapping = null)
    {
        _twinMapping = twinMapping ?? TwinMapping.None;
        _gateway = gateway;
        _options = options;
        _groups = new HashSet<string>(options.GroupIds, StringComparer.Ordinal);
        _deviceTwinId = TwinIdTemplate.Parse(options.TwinIdTemplate, DeviceNames);
        _nodeTwinId = TwinIdTemplate.Parse(options.NodeTwinIdTemplate, NodeNames);
        _statistics = statistics;
        _logger = logger;
        _stateTopic = $"{SparkplugTopic.Namespace}/STATE/{options.HostId}";
        // Sparkplug 3.0: the will and the birth of one session carry the same timestamp.
        Will = new MqttApplicationMessage(_stateTopic, StatePayload(false), MqttQualityOfService.AtLeastOnce, retain: true);
    }

    public MqttApplicationMessage? Will { get; }

    public IReadOnlyList<string> KnownTwins() => _routes.Keys.ToArray();

    private byte[] StatePayload(bool online) =>
        Encoding.UTF8.GetBytes($"{{\"online\":{(online ? "true" : "false")},\"timestamp\":{_stateTimestamp}}}");

    public async Task OnConnectedAsync(IMqttGatewayClient client, bool sessionPresent, CancellationToken cancellationToken)
    {
        _client = client;
        var subscriptions = new List<MqttSubscription> { new(_stateTopic, MqttQualityOfService.AtLeastOnce) };
        subscriptions.AddRange(_options.GroupIds.Select(g => new MqttSubscription($"{SparkplugTopic.Namespace}/{g}/#", MqttQualityOfService.AtLeastOnce)));
        await client.SubscribeAsync(subscriptions, cancellationToken).ConfigureAwait(false);
        await client.PublishAsync(new MqttApplicationMessage(_stateTopic, StatePayload(true), MqttQualityOfService.AtLeastOnce, retain: true), cancellationToken).ConfigureAwait(false);
        // After a reconnect the host may have missed births and deaths: ask every known node to rebirth.
        foreach (var node in _nodes.Values)
        {
            await PublishRebirthAsync(client, node.Group, node.Edge, "host reconnected", cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task OnStoppingAsync(IMqttGatewayClient client, CancellationToken cancellationToken)
    {
        // Sparkplug 3.0: a host that leaves on purpose says so before disconnecting (MQTT 3.1.1 cannot ask the
        // broker to publish the will on a normal DISCONNECT).
        await client.PublishAsync(new MqttApplicationMessage(_stateTopic, StatePayload(false), MqttQualityOfService.AtLeastOnce, retain: true), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask HandleAsync(MqttReceivedMessage message, GatewayBatch batch, CancellationToken cancellationToken)
    {
        if (!_topics.TryGetValue(message.Topic, out var topic))
        {
            if (!SparkplugTopic.TryParse(message.Topic, out topic)) throw new MqttDecodeException("not a Sparkplug B topic (spBv1.0/{group}/{type}/{edge}[/{device}])");
            // Parsed topics are remembered (bounded) so a steady stream does not split strings per message.
            if (_topics.Count < 100_000) _topics[message.Topic] = topic;
        }
        if (topic.MessageType == "STATE")
        {
            await HandleStateAsync(topic, message, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!_groups.Contains(topic.Group) || topic.MessageType is "NCMD" or "DCMD") return;
        var payload = SparkplugMetricCodec.ParsePayload(message.Payload);
        switch (topic.MessageType)
        {
            case "NBIRTH": await HandleNodeBirthAsync(topic, payload, batch, cancellationToken).ConfigureAwait(false); break;
            case "DBIRTH": await HandleDeviceBirthAsync(topic, payload, batch, cancellationToken).ConfigureAwait(false); break;
            case "NDATA": await HandleDataAsync(topic, payload, batch, cancellationToken).ConfigureAwait(false); break;
            case "DDATA": await HandleDataAsync(topic, payload, batch, cancellationToken).ConfigureAwait(false); break;
            case "NDEATH": await HandleNodeDeathAsync(topic, payload, batch, cancellationToken).ConfigureAwait(false); break;
            case "DDEATH": await HandleDeviceDeathAsync(topic, payload, batch, cancellationToken).ConfigureAwait(false); break;
        }
    }

    private async ValueTask HandleStateAsync(SparkplugTopic topic, MqttReceivedMessage message, CancellationToken cancellationToken)
    {
        if (topic.EdgeNode != _options.HostId || _client is null) return;
        bool online;
        try
        {
            using var document = JsonDocument.Parse(message.Payload);
            online = document.RootElement.TryGetProperty("online", out var value) && value.ValueKind == JsonValueKind.True;
        }
        catch (JsonException ex)
        {
            throw new MqttDecodeException($"STATE payload is not JSON: {ex.Message}", ex);
        }
        if (!online)
        {
            // Someone (or our own stale will) declared this host offline while it is connected: correct it.
            _logger.LogWarning("MQTT gateway {Gateway}: STATE of host {HostId} says offline; publishing online again", _gateway, _options.HostId);
            await _client.PublishAsync(new MqttApplicationMessage(_stateTopic, StatePayload(true), MqttQualityOfService.AtLeastOnce, retain: true), cancellationToken).ConfigureAwait(false);
        }
    }

    private SparkplugEdgeNode? FindNode(SparkplugTopic topic)
    {
        // The last node seen is usually the next one too (an edge node publishes bursts).
        var last = _lastNode;
        if (last is not null && last.Edge == topic.EdgeNode && last.Group == topic.Group) return last;
        if (!_nodes.TryGetValue(topic.Group + "/" + topic.EdgeNode, out var node)) return null;
        _lastNode = node;
        return node;
    }

    private SparkplugEdgeNode? _lastNode;

    private SparkplugEdgeNode Node(SparkplugTopic topic) =>
        _nodes.GetOrAdd(topic.Group + "/" + topic.EdgeNode, _ => new SparkplugEdgeNode(topic.Group, topic.EdgeNode, _nodeTwinId.Format([topic.Group, topic.EdgeNode])));

    private async ValueTask HandleNodeBirthAsync(SparkplugTopic topic, Payload payload, GatewayBatch batch, CancellationToken cancellationToken)
    {
        var node = Node(topic);
        var seq = ReadSeq(payload, topic);
        var metrics = ReadBirthMetrics(payload, node.TwinId, topic, out var aliases);
        ulong? bdSeq = null;
        var bd = payload.Metrics.FirstOrDefault(m => m.Name == "bdSeq");
        if (bd is not null) bdSeq = bd.ValueCase == Metric.ValueOneofCase.LongValue ? bd.LongValue : bd.IntValue;
        else _logger.LogWarning("MQTT gateway {Gateway}: NBIRTH on {Topic} has no bdSeq metric", _gateway, topic.ToString());

        node.Born = true;
        node.BdSeq = bdSeq;
        node.LastSeq = seq;
        node.Metrics = metrics;
        node.Aliases.Clear();
        foreach (var (alias, info) in aliases) node.Aliases[alias] = info;
        // A new node session: its devices must be born again before their data counts.
        foreach (var device in node.Devices.Values) device.Born = false;
        _routes[node.TwinId] = new SparkplugTwinRoute(node.Group, node.Edge, null, metrics, Online: true);

        await batch.DescribeAsync(_twinMapping.Describe(node.TwinId, _gateway, Describe(payload, metrics, _gateway, $"spBv1.0/{topic.Group}/N*/{topic.EdgeNode}")), cancellationToken).ConfigureAwait(false);
        await batch.SetConnectivityAsync(node.TwinId, TwinConnectivity.Online, "NBIRTH", cancellationToken).ConfigureAwait(false);
        AddValues(payload, metrics, null, node, batch, topic);
    }

    private async ValueTask HandleDeviceBirthAsync(SparkplugTopic topic, Payload payload, GatewayBatch batch, CancellationToken cancellationToken)
    {
        var node = Node(topic);
        if (!node.Born)
        {
            await RequestRebirthAsync(node, "DBIRTH before NBIRTH", cancellationToken).ConfigureAwait(false);
            throw new MqttDecodeException($"DBIRTH for device '{topic.Device}' before its edge node was born");
        }
        CheckSeq(node, payload, topic, out var gap);
        var twinId = _deviceTwinId.Format([topic.Group, topic.EdgeNode, topic.Device!]);
        var metrics = ReadBirthMetrics(payload, twinId, topic, out var aliases);
        if (!node.Devices.TryGetValue(topic.Device!, out var device)) node.Devices[topic.Device!] = device = new SparkplugDevice(topic.Device!, twinId);
        foreach (var stale in node.Aliases.Where(a => a.Value.TwinId == twinId).Select(a => a.Key).ToList()) node.Aliases.Remove(stale);
        foreach (var (alias, info) in aliases)
        {
            if (node.Aliases.TryGetValue(alias, out var other) && other.TwinId != twinId)
                throw new MqttDecodeException($"DBIRTH alias {alias} of metric '{info.Name}' is already used by '{other.Name}' of twin {other.TwinId}");
        }
        foreach (var (alias, info) in aliases) node.Aliases[alias] = info;
        device.Metrics = metrics;
        device.Born = true;
        _routes[twinId] = new SparkplugTwinRoute(node.Group, node.Edge, device.Name, metrics, Online: true);

        await batch.DescribeAsync(_twinMapping.Describe(twinId, _gateway, Describe(payload, metrics, _gateway, $"spBv1.0/{topic.Group}/D*/{topic.EdgeNode}/{topic.Device}")), cancellationToken).ConfigureAwait(false);
        await batch.SetConnectivityAsync(twinId, TwinConnectivity.Online, "DBIRTH", cancellationToken).ConfigureAwait(false);
        AddValues(payload, metrics, device, node, batch, topic);
        if (gap) await RequestRebirthAsync(node, "seq gap", cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask HandleDataAsync(SparkplugTopic topic, Payload payload, GatewayBatch batch, CancellationToken cancellationToken)
    {
        var node = FindNode(topic);
        SparkplugDevice? device = null;
        if (node is null || !node.Born || (topic.Device is not null && (!node.Devices.TryGetValue(topic.Device, out device) || !device.Born)))
        {
            node ??= Node(topic);
            await RequestRebirthAsync(node, "data before birth", cancellationToken).ConfigureAwait(false);
            throw new MqttDecodeException(topic.Device is null
                ? $"{topic.MessageType} from edge node '{topic.EdgeNode}' that has not announced itself (no NBIRTH)"
                : $"{topic.MessageType} from device '{topic.Device}' that has not announced itself (no DBIRTH)");
        }
        CheckSeq(node, payload, topic, out var gap);
        var unknown = AddValues(payload, device?.Metrics ?? node.Metrics, device, node, batch, topic);
        if (gap || unknown is not null) await RequestRebirthAsync(node, gap ? "seq gap" : "unknown metric", cancellationToken).ConfigureAwait(false);
        if (unknown is not null) throw new MqttDecodeException(unknown);
    }

    private async ValueTask HandleNodeDeathAsync(SparkplugTopic topic, Payload payload, GatewayBatch batch, CancellationToken cancellationToken)
    {
        var node = FindNode(topic);
        if (node is null || !node.Born) return;
        var bd = payload.Metrics.FirstOrDefault(m => m.Name == "bdSeq");
        ulong? bdSeq = bd is null ? null : bd.ValueCase == Metric.ValueOneofCase.LongValue ? bd.LongValue : bd.IntValue;
        if (node.BdSeq is { } expected && bdSeq != expected)
        {
            // The will of an older session arriving after the node was born again: not a death of the current one.
            _logger.LogInformation("MQTT gateway {Gateway}: NDEATH on {Topic} with bdSeq {BdSeq} ignored; the current session has bdSeq {Expected}",
                _gateway, topic.ToString(), bdSeq, expected);
            return;
        }
        node.Born = false;
        node.LastSeq = -1;
        _routes[node.TwinId] = _routes.TryGetValue(node.TwinId, out var route) ? route with { Online = false } : new SparkplugTwinRoute(node.Group, node.Edge, null, node.Metrics, false);
        await batch.SetConnectivityAsync(node.TwinId, TwinConnectivity.Offline, "NDEATH", cancellationToken).ConfigureAwait(false);
        foreach (var device in node.Devices.Values)
        {
            device.Born = false;
            if (_routes.TryGetValue(device.TwinId, out var deviceRoute)) _routes[device.TwinId] = deviceRoute with { Online = false };
            await batch.SetConnectivityAsync(device.TwinId, TwinConnectivity.Offline, "NDEATH of its edge node", cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask HandleDeviceDeathAsync(SparkplugTopic topic, Payload payload, GatewayBatch batch, CancellationToken cancellationToken)
    {
        var node = FindNode(topic);
        if (node is null || !node.Born || !node.Devices.TryGetValue(topic.Device!, out var device)) return;
        CheckSeq(node, payload, topic, out var gap);
        device.Born = false;
        if (_routes.TryGetValue(device.TwinId, out var route)) _routes[device.TwinId] = route with { Online = false };
        await batch.SetConnectivityAsync(device.TwinId, TwinConnectivity.Offline, "DDEATH", cancellationToken).ConfigureAwait(false);
        if (gap) await RequestRebirthAsync(node, "seq gap", cancellationToken).ConfigureAwait(false);
    }

    private static int ReadSeq(Payload payload, SparkplugTopic topic)
    {
        if (!payload.HasSeq) throw new MqttDecodeException($"{topic.MessageType} without seq");
        if (payload.Seq > 255) throw new MqttDecodeException($"{topic.MessageType} seq {payload.Seq} is outside 0..255");
        return (int)payload.Seq;
    }

    private void CheckSeq(SparkplugEdgeNode node, Payload payload, SparkplugTopic topic, out bool gap)
    {
        var seq = ReadSeq(payload, topic);
        var expected = (node.LastSeq + 1) % 256;
        gap = node.LastSeq >= 0 && seq != expected;
        if (gap)
        {
            Interlocked.Increment(ref _statistics.sequenceGaps);
            _logger.LogWarning("MQTT gateway {Gateway}: seq gap on {Topic}: expected {Expected}, received {Seq}; requesting rebirth",
                _gateway, topic.ToString(), expected, seq);
        }
        node.LastSeq = seq;
    }

    /// <summary>Validates a birth's metrics completely before any state changes, so a bad birth leaves the
    /// previous one in place.</summary>
    private static Dictionary<string, SparkplugMetricInfo> ReadBirthMetrics(Payload payload, string twinId, SparkplugTopic topic, out List<(ulong, SparkplugMetricInfo)> aliases)
    {
        var metrics = new Dictionary<string, SparkplugMetricInfo>(StringComparer.Ordinal);
        aliases = new List<(ulong, SparkplugMetricInfo)>();
        var seenAliases = new HashSet<ulong>();
        foreach (var m in payload.Metrics)
        {
            if (!m.HasName || m.Name.Length == 0) throw new MqttDecodeException($"{topic.MessageType} metric without a name");
            if (!m.HasDatatype) throw new MqttDecodeException($"{topic.MessageType} metric '{m.Name}' without a datatype");
            var info = new SparkplugMetricInfo(m.Name, (SparkplugDataType)m.Datatype, twinId);
            metrics[m.Name] = info;
            if (m.HasAlias)
            {
                if (!seenAliases.Add(m.Alias)) throw new MqttDecodeException($"{topic.MessageType} alias {m.Alias} is used by two metrics");
                aliases.Add((m.Alias, info));
            }
        }
        return metrics;
    }

    /// <summary>The tags of a birth: type, array rank, unit, limits and writable from the metric properties, and the
    /// source (gateway, <c>{topic pattern} {metric}</c>, the Sparkplug data type).</summary>
    private static List<TagMetadata> Describe(Payload payload, Dictionary<string, SparkplugMetricInfo> metrics, string gateway, string address)
    {
        var tags = new List<TagMetadata>(metrics.Count);
        foreach (var m in payload.Metrics)
        {
            if (m.Name == "bdSeq") continue;
            var type = SparkplugMetricCodec.ToTagDataType((SparkplugDataType)m.Datatype);
            if (type == TagDataType.None) continue;
            string? unit = null;
            double? low = null, high = null;
            var writable = true;
            if (m.Properties is { } properties)
            {
                for (var i = 0; i < properties.Keys.Count && i < properties.Values.Count; i++)
                {
                    var value = properties.Values[i];
                    switch (properties.Keys[i])
                    {
                        case "engUnit" or "EngUnit" or "engineeringUnits" or "Engineering Units" or "unit" or "units":
                            if (value.ValueCase == Payload.Types.PropertyValue.ValueOneofCase.StringValue) unit = value.StringValue;
                            break;
                        case "engLow" or "EngLow":
                            low = PropertyNumber(value);
                            break;
                        case "engHigh" or "EngHigh":
                            high = PropertyNumber(value);
                            break;
                        case "readOnly" or "ReadOnly":
                            if (value.ValueCase == Payload.Types.PropertyValue.ValueOneofCase.BooleanValue && value.BooleanValue) writable = false;
                            break;
                        case "writable" or "Writable":
                            if (value.ValueCase == Payload.Types.PropertyValue.ValueOneofCase.BooleanValue) writable = value.BooleanValue;
                            break;
                    }
                }
            }
            tags.Add(new TagMetadata(m.Name, type, unit, writable, low, high,
                ArrayRank: type >= TagDataType.BooleanArray ? 1 : 0, SourceGateway: gateway, SourceAddress: address + " " + m.Name,
                SourceDataType: ((SparkplugDataType)m.Datatype).ToString()));
        }
        return tags;
    }

    private static double? PropertyNumber(Payload.Types.PropertyValue value) => value.ValueCase switch
    {
        Payload.Types.PropertyValue.ValueOneofCase.DoubleValue => value.DoubleValue,
        Payload.Types.PropertyValue.ValueOneofCase.FloatValue => value.FloatValue,
        Payload.Types.PropertyValue.ValueOneofCase.IntValue => (int)value.IntValue,
        Payload.Types.PropertyValue.ValueOneofCase.LongValue => (long)value.LongValue,
        _ => null,
    };

    /// <summary>Adds the payload's values to the batch; returns a description of metrics that could not be
    /// resolved or decoded (the rest still count), or null.</summary>
    private string? AddValues(Payload payload, Dictionary<string, SparkplugMetricInfo> byName, SparkplugDevice? device, SparkplugEdgeNode node, GatewayBatch batch, SparkplugTopic topic)
    {
        var twinId = device?.TwinId ?? node.TwinId;
        List<string>? problems = null;
        for (var index = 0; index < payload.Metrics.Count; index++)
        {
            var m = payload.Metrics[index];
            SparkplugMetricInfo? info;
            if (m.HasName && m.Name.Length > 0) byName.TryGetValue(m.Name, out info);
            else if (m.HasAlias) node.Aliases.TryGetValue(m.Alias, out info);
            else info = null;
            if (info is null || info.TwinId != twinId)
            {
                (problems ??= new List<string>()).Add(m.HasName ? $"unknown metric '{m.Name}'" : $"unknown alias {m.Alias}");
                continue;
            }
            if (info.Name == "bdSeq") continue;
            if (SparkplugMetricCodec.ToTagDataType(info.DataType) == TagDataType.None) continue;
            TagValue value;
            try
            {
                value = SparkplugMetricCodec.ReadValue(m, info.DataType);
            }
            catch (MqttDecodeException ex)
            {
                (problems ??= new List<string>()).Add(ex.Message);
                continue;
            }
            var ms = m.HasTimestamp ? m.Timestamp : payload.HasTimestamp ? payload.Timestamp : (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            if (ms > 253_402_300_799_999UL)
            {
                (problems ??= new List<string>()).Add($"metric '{info.Name}' timestamp {ms} is out of range");
                continue;
            }
            var quality = value.IsNone ? TagQuality.Bad : TagQuality.Good;
            batch.Add(twinId, new TagUpdate(info.Name, value, quality, DateTimeOffset.FromUnixTimeMilliseconds((long)ms), ++_readings));
        }
        return problems is null ? null : $"{topic.MessageType}: {string.Join("; ", problems)}";
    }

    private async ValueTask RequestRebirthAsync(SparkplugEdgeNode node, string reason, CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        if (node.LastRebirthRequest != 0 && now - node.LastRebirthRequest < _options.RebirthMinIntervalMs) return;
        node.LastRebirthRequest = now;
        if (_client is null) return;
        await PublishRebirthAsync(_client, node.Group, node.Edge, reason, cancellationToken).ConfigureAwait(false);
    }

    private async Task PublishRebirthAsync(IMqttGatewayClient client, string group, string edge, string reason, CancellationToken cancellationToken)
    {
        var payload = new Payload { Timestamp = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        payload.Metrics.Add(new Metric { Name = RebirthMetric, Datatype = (uint)SparkplugDataType.Boolean, BooleanValue = true });
        var topic = $"{SparkplugTopic.Namespace}/{group}/NCMD/{edge}";
        Interlocked.Increment(ref _statistics.rebirthRequests);
        _logger.LogInformation("MQTT gateway {Gateway}: requesting rebirth of {Group}/{Edge} ({Reason})", _gateway, group, edge, reason);
        await client.PublishAsync(new MqttApplicationMessage(topic, payload.ToByteArray(), MqttQualityOfService.AtMostOnce), cancellationToken).ConfigureAwait(false);
    }

    public MqttCommandPlan PrepareCommand(DeviceCommand command)
    {
        if (command.Tag is null) return MqttCommandPlan.Reject($"Sparkplug B has no method calls ('{command.Method}'); write a metric instead");
        if (!_routes.TryGetValue(command.TwinId, out var route)) return MqttCommandPlan.Reject($"twin '{command.TwinId}' has not been born on gateway '{_gateway}'");
        if (!route.Online) return MqttCommandPlan.Reject($"twin '{command.TwinId}' is offline (death certificate received)");
        if (!route.Metrics.TryGetValue(command.Tag, out var info)) return MqttCommandPlan.Reject($"metric '{command.Tag}' was not announced in the birth of twin '{command.TwinId}'");
        var metric = new Metric { Name = info.Name, Timestamp = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() };
        if (SparkplugMetricCodec.TryWriteValue(metric, info.DataType, command.Value) is { } error) return MqttCommandPlan.Reject(error);
        var payload = new Payload { Timestamp = metric.Timestamp };
        payload.Metrics.Add(metric);
        var topic = route.Device is null
            ? $"{SparkplugTopic.Namespace}/{route.Group}/NCMD/{route.Edge}"
            : $"{SparkplugTopic.Namespace}/{route.Group}/DCMD/{route.Edge}/{route.Device}";
        var qos = (MqttQualityOfService)Math.Clamp(_options.CommandQos, 0, 2);
        return new MqttCommandPlan(new MqttApplicationMessage(topic, payload.ToByteArray(), qos) { MessageExpiryInterval = ExpirySeconds(command.ExpiresAt) },
            null, ConfirmByValue: true, ConfirmByAck: false);
    }

    internal static uint? ExpirySeconds(DateTimeOffset expiresAt)
    {
        if (expiresAt == default || expiresAt == DateTimeOffset.MaxValue) return null;
        var seconds = Math.Ceiling((expiresAt - DateTimeOffset.UtcNow).TotalSeconds);
        return seconds <= 0 ? 1u : seconds >= uint.MaxValue ? null : (uint)seconds;
    }
}
