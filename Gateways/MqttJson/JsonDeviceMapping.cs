using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Imv.Gateways.Mqtt;
using Imv.Gateways.MqttGateway;
using Imv.Grains.Interfaces.Commands;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;
using Microsoft.Extensions.Logging;

namespace Imv.Gateways.MqttJson;

/// <summary>Plain JSON devices: telemetry on a topic template with named segments, commands to a command
/// topic template, optional acknowledgement and status topics.</summary>
internal sealed class JsonDeviceMapping : IMqttGatewayMode
{
    private readonly string _gateway;
    private readonly JsonGatewayOptions _options;
    private readonly MqttTopicTemplate _telemetry;
    private readonly MqttTopicTemplate? _command;
    private readonly MqttTopicTemplate? _ack;
    private readonly MqttTopicTemplate? _status;
    private readonly TwinIdTemplate _twinId;
    private readonly ILogger _logger;
    private readonly JsonTelemetryParser _parser = new();
    private readonly ConcurrentDictionary<string, JsonTwin> _twins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, JsonTwin> _byTopic = new(StringComparer.Ordinal);
    private readonly List<(string Tag, TagValue Value)> _scratch = new();
    private long _readings;

    public JsonDeviceMapping(string gateway, JsonGatewayOptions options, ILogger logger)
    {
        _gateway = gateway;
        _options = options;
        _logger = logger;
        _telemetry = MqttTopicTemplate.Parse(options.TelemetryTopic);
        _command = options.CommandTopic is { Length: > 0 } c ? MqttTopicTemplate.Parse(c) : null;
        _ack = options.AckTopic is { Length: > 0 } a ? MqttTopicTemplate.Parse(a) : null;
        _status = options.StatusTopic is { Length: > 0 } s ? MqttTopicTemplate.Parse(s) : null;
        _twinId = TwinIdTemplate.Parse(options.TwinIdTemplate ?? string.Join('.', _telemetry.Names.Select(n => "{" + n + "}")), _telemetry.Names);
    }

    public MqttApplicationMessage? Will => null;

    public IReadOnlyList<string> KnownTwins() => _twins.Keys.ToArray();

    private MqttQualityOfService Qos => (MqttQualityOfService)Math.Clamp(_options.Qos, 0, 2);

    public async Task OnConnectedAsync(MqttClient client, bool sessionPresent, CancellationToken cancellationToken)
    {
        var subscriptions = new List<MqttSubscription> { new(_telemetry.Filter, Qos) };
        if (_ack is not null) subscriptions.Add(new MqttSubscription(_ack.Filter, Qos));
        if (_status is not null) subscriptions.Add(new MqttSubscription(_status.Filter, Qos));
        await client.SubscribeAsync(subscriptions, cancellationToken).ConfigureAwait(false);
        // Values may be stale until devices speak again.
        foreach (var twin in _twins.Values) twin.Online = false;
    }

    public Task OnStoppingAsync(MqttClient client, CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask HandleAsync(MqttReceivedMessage message, GatewayBatch batch, CancellationToken cancellationToken)
    {
        if (_byTopic.TryGetValue(message.Topic, out var known))
        {
            await HandleTelemetryAsync(known, message, batch, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_telemetry.TryMatch(message.Topic, out var values))
        {
            var twin = Twin(values);
            if (_byTopic.Count < 100_000) _byTopic[message.Topic] = twin;
            await HandleTelemetryAsync(twin, message, batch, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_ack is not null && _ack.TryMatch(message.Topic, out values))
        {
            await HandleAckAsync(Twin(Reorder(_ack, values)), message, batch, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_status is not null && _status.TryMatch(message.Topic, out values))
        {
            await HandleStatusAsync(Twin(Reorder(_status, values)), message, batch, cancellationToken).ConfigureAwait(false);
            return;
        }
        throw new MqttDecodeException("topic matches none of the configured templates");
    }

    /// <summary>Maps segment values of another template into the telemetry template's order.</summary>
    private string[] Reorder(MqttTopicTemplate template, string[] values)
    {
        var result = new string[_telemetry.Names.Count];
        for (var i = 0; i < template.Names.Count; i++)
        {
            var index = _telemetry.Names.ToList().IndexOf(template.Names[i]);
            if (index >= 0) result[index] = values[i];
        }
        for (var i = 0; i < result.Length; i++) result[i] ??= "";
        return result;
    }

    private JsonTwin Twin(string[] values)
    {
        var twinId = _twinId.Format(values);
        return _twins.GetOrAdd(twinId, id =>
        {
            var segments = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < values.Length; i++) segments[_telemetry.Names[i]] = values[i];
            return new JsonTwin(id, segments);
        });
    }

    private async ValueTask HandleTelemetryAsync(JsonTwin twin, MqttReceivedMessage message, GatewayBatch batch, CancellationToken cancellationToken)
    {
        _scratch.Clear();
        var timestamp = _parser.Parse(message.Payload, _scratch) ?? DateTimeOffset.UtcNow;
        Dictionary<string, TagDataType>? grown = null;
        foreach (var (tag, value) in _scratch)
        {
            if (value.IsNone) continue;
            if (!twin.Tags.TryGetValue(tag, out var type) || type != value.DataType)
            {
                grown ??= new Dictionary<string, TagDataType>(twin.Tags, StringComparer.Ordinal);
                grown[tag] = value.DataType;
            }
        }
        if (grown is not null)
        {
            twin.Tags = grown;
            var tags = grown.Select(t => new TagMetadata(t.Key, t.Value, Writable: _command is not null)).ToList();
            await batch.DescribeAsync(new TwinDescription(twin.TwinId, _gateway, tags), cancellationToken).ConfigureAwait(false);
        }
        if (!twin.Online)
        {
            twin.Online = true;
            await batch.SetConnectivityAsync(twin.TwinId, TwinConnectivity.Online, "telemetry received", cancellationToken).ConfigureAwait(false);
        }
        foreach (var (tag, value) in _scratch)
            batch.Add(twin.TwinId, new TagUpdate(tag, value, value.IsNone ? TagQuality.Bad : TagQuality.Good, timestamp, ++_readings));
    }

    private async ValueTask HandleAckAsync(JsonTwin twin, MqttReceivedMessage message, GatewayBatch batch, CancellationToken cancellationToken)
    {
        string? id = null, status = null, reason = null;
        try
        {
            using var document = JsonDocument.Parse(message.Payload);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new MqttDecodeException("acknowledgement is not a JSON object");
            if (root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String) id = idElement.GetString();
            if (root.TryGetProperty("status", out var statusElement) && statusElement.ValueKind == JsonValueKind.String) status = statusElement.GetString();
            if (root.TryGetProperty("reason", out var reasonElement) && reasonElement.ValueKind == JsonValueKind.String) reason = reasonElement.GetString();
        }
        catch (JsonException ex)
        {
            throw new MqttDecodeException($"acknowledgement is not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new MqttDecodeException($"acknowledgement is not valid JSON: {ex.Message}", ex);
        }
        if (id is null) throw new MqttDecodeException("acknowledgement without a string \"id\"");
        var outcome = status?.ToLowerInvariant() switch
        {
            "applied" or "ok" or "done" => CommandDeliveryStatus.Applied,
            "acked" or "received" => CommandDeliveryStatus.Acked,
            "rejected" or "error" or "failed" => CommandDeliveryStatus.Rejected,
            _ => throw new MqttDecodeException($"acknowledgement status '{status}' is not applied, acked or rejected"),
        };
        var pending = outcome == CommandDeliveryStatus.Acked ? null : batch.Commands.TakeById(id);
        if (outcome != CommandDeliveryStatus.Acked && pending is null)
        {
            _logger.LogInformation("MQTT gateway {Gateway}: acknowledgement for unknown or finished command {CommandId} on {Topic}", _gateway, id, message.Topic);
            return;
        }
        await batch.ReportOutcomeAsync(pending?.TwinId ?? twin.TwinId, id, outcome, reason, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask HandleStatusAsync(JsonTwin twin, MqttReceivedMessage message, GatewayBatch batch, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(message.Payload).Trim().Trim('"').ToLowerInvariant();
        var online = text switch
        {
            "online" or "true" or "1" or "{\"online\":true}" => true,
            "offline" or "false" or "0" or "{\"online\":false}" => false,
            _ => throw new MqttDecodeException($"status '{text}' is neither online nor offline"),
        };
        twin.Online = online;
        await batch.SetConnectivityAsync(twin.TwinId, online ? TwinConnectivity.Online : TwinConnectivity.Offline, online ? "status online" : "status offline (last will)", cancellationToken).ConfigureAwait(false);
    }

    public MqttCommandPlan PrepareCommand(DeviceCommand command)
    {
        if (_command is null) return MqttCommandPlan.Reject($"gateway '{_gateway}' has no Json:CommandTopic configured");
        if (!_twins.TryGetValue(command.TwinId, out var twin)) return MqttCommandPlan.Reject($"twin '{command.TwinId}' has not been seen on gateway '{_gateway}'");
        string topic;
        try
        {
            topic = _command.Format(twin.Segments);
        }
        catch (KeyNotFoundException ex)
        {
            return MqttCommandPlan.Reject(ex.Message);
        }
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", command.CommandId);
            if (command.Tag is not null)
            {
                writer.WriteString("tag", command.Tag);
                writer.WritePropertyName("value");
                WriteValue(writer, command.Value);
            }
            else
            {
                writer.WriteString("method", command.Method);
                writer.WriteStartArray("args");
                foreach (var argument in command.Arguments) WriteValue(writer, argument);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        var message = new MqttApplicationMessage(topic, buffer.ToArray(), Qos)
        {
            MessageExpiryInterval = Sparkplug.SparkplugHostApplication.ExpirySeconds(command.ExpiresAt),
            ContentType = "application/json",
        };
        return new MqttCommandPlan(message, null, ConfirmByValue: _ack is null && command.Tag is not null, ConfirmByAck: _ack is not null);
    }

    private static void WriteValue(Utf8JsonWriter writer, TagValue value)
    {
        switch (value.DataType)
        {
            case TagDataType.None: writer.WriteNullValue(); break;
            case TagDataType.Boolean: writer.WriteBooleanValue(value.AsBoolean()); break;
            case TagDataType.Integer: writer.WriteNumberValue(value.AsInteger()); break;
            case TagDataType.Double: writer.WriteNumberValue(value.AsDouble()); break;
            case TagDataType.String: writer.WriteStringValue(value.AsString()); break;
            default:
                writer.WriteStartArray();
                foreach (var item in value.AsArray())
                {
                    switch (item)
                    {
                        case bool b: writer.WriteBooleanValue(b); break;
                        case long l: writer.WriteNumberValue(l); break;
                        case double d: writer.WriteNumberValue(d); break;
                        default: writer.WriteStringValue(item?.ToString()); break;
                    }
                }
                writer.WriteEndArray();
                break;
        }
    }
}
