using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Imv.Gateways.Mqtt;
using Imv.Gateways.Twins;
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
    private readonly MqttGatewayStatistics _statistics;
    private readonly LogRateLimiter _mismatchLog = new(10);
    private readonly ConcurrentDictionary<(string TwinId, string Tag), DateTimeOffset> _mismatchLoggedAt = new();
    private readonly MethodMetadata[] _methods;
    private long _readings;

    private readonly TwinMapping _twinMapping;

    public JsonDeviceMapping(string gateway, JsonGatewayOptions options, MqttGatewayStatistics statistics, ILogger logger, TwinMapping? twinMapping = null)
    {
        _twinMapping = twinMapping ?? TwinMapping.None;
        _gateway = gateway;
        _options = options;
        _statistics = statistics;
        _logger = logger;
        _telemetry = MqttTopicTemplate.Parse(options.TelemetryTopic);
        _command = options.CommandTopic is { Length: > 0 } c ? MqttTopicTemplate.Parse(c) : null;
        _ack = options.AckTopic is { Length: > 0 } a ? MqttTopicTemplate.Parse(a) : null;
        _status = options.StatusTopic is { Length: > 0 } s ? MqttTopicTemplate.Parse(s) : null;
        _twinId = TwinIdTemplate.Parse(options.TwinIdTemplate ?? string.Join('.', _telemetry.Names.Select(n => "{" + n + "}")), _telemetry.Names);
        _methods = options.Methods.OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => new MethodMetadata(m.Key, m.Value.Arguments.Select(a => new MethodArgumentMetadata(a.Name, a.DataType, IsArray(a.DataType) ? 1 : 0)).ToArray(),
                SourceAddress: options.CommandTopic))
            .ToArray();
    }

    private static bool IsArray(TagDataType type) => type >= TagDataType.BooleanArray;

    public MqttApplicationMessage? Will => null;

    public IReadOnlyList<string> KnownTwins() => _twins.Keys.ToArray();

    private MqttQualityOfService Qos => (MqttQualityOfService)Math.Clamp(_options.Qos, 0, 2);

    public async Task OnConnectedAsync(IMqttGatewayClient client, bool sessionPresent, CancellationToken cancellationToken)
    {
        var subscriptions = new List<MqttSubscription> { new(_telemetry.Filter, Qos) };
        if (_ack is not null) subscriptions.Add(new MqttSubscription(_ack.Filter, Qos));
        if (_status is not null) subscriptions.Add(new MqttSubscription(_status.Filter, Qos));
        await client.SubscribeAsync(subscriptions, cancellationToken).ConfigureAwait(false);
        // Values may be stale until devices speak again.
        foreach (var twin in _twins.Values) twin.Online = false;
    }

    public Task OnStoppingAsync(IMqttGatewayClient client, CancellationToken cancellationToken) => Task.CompletedTask;

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
            return new JsonTwin(id, segments) { TelemetryTopic = _telemetry.Format(segments) };
        });
    }

    private async ValueTask HandleTelemetryAsync(JsonTwin twin, MqttReceivedMessage message, GatewayBatch batch, CancellationToken cancellationToken)
    {
        _scratch.Clear();
        var timestamp = _parser.Parse(message.Payload, _scratch) ?? DateTimeOffset.UtcNow;
        Dictionary<string, TagDataType>? grown = null;
        var known = twin.Tags;
        var first = known.Count == 0;
        for (var i = 0; i < _scratch.Count; i++)
        {
            var (tag, value) = _scratch[i];
            if (value.IsNone) continue;
            _options.Tags.TryGetValue(tag, out var declared);
            var expected = declared?.DataType ?? (known.TryGetValue(tag, out var learned) ? learned : (TagDataType?)null);
            if (expected is null)
            {
                (grown ??= new Dictionary<string, TagDataType>(known, StringComparer.Ordinal))[tag] = value.DataType;
                continue;
            }
            if (JsonValueFit.TryFit(expected.Value, ref value))
            {
                _scratch[i] = (tag, value);
                continue;
            }
            if (declared?.DataType is null && JsonValueFit.Widens(expected.Value, value.DataType))
            {
                // A learned integer tag that receives a fraction becomes a double tag; it never narrows back.
                (grown ??= new Dictionary<string, TagDataType>(known, StringComparer.Ordinal))[tag] = value.DataType;
                continue;
            }
            ReportMismatch(twin, tag, expected.Value, value);
            _scratch[i] = (tag, TagValue.None);
        }
        if (grown is not null || first && _options.Tags.Count > 0)
        {
            twin.Tags = grown ?? new Dictionary<string, TagDataType>(known, StringComparer.Ordinal);
            await batch.DescribeAsync(Describe(twin), cancellationToken).ConfigureAwait(false);
        }
        twin.StatusOffline = false;
        if (!twin.Online)
        {
            twin.Online = true;
            await batch.SetConnectivityAsync(twin.TwinId, TwinConnectivity.Online, "telemetry received", cancellationToken).ConfigureAwait(false);
        }
        foreach (var (tag, value) in _scratch)
            batch.Add(twin.TwinId, new TagUpdate(tag, value, value.IsNone ? TagQuality.Bad : TagQuality.Good, timestamp, ++_readings));
    }

    /// <summary>The twin as the gateway knows it: declared and learned tags (declared types win; writable and
    /// limits only as declared), and the declared methods.</summary>
    private TwinDescription Describe(JsonTwin twin)
    {
        var names = twin.Tags.Keys.Union(_options.Tags.Where(t => t.Value?.DataType is not null).Select(t => t.Key), StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var commands = _command is not null;
        var tags = new List<TagMetadata>();
        foreach (var name in names)
        {
            _options.Tags.TryGetValue(name, out var declared);
            var type = declared?.DataType ?? twin.Tags[name];
            var writable = commands && declared?.Writable == true;
            tags.Add(new TagMetadata(name, type, declared?.Unit, writable,
                writable ? declared!.Minimum : null, writable ? declared!.Maximum : null,
                ArrayRank: IsArray(type) ? 1 : 0, SourceGateway: _gateway, SourceAddress: $"{twin.TelemetryTopic} {name}", SourceDataType: "JSON"));
        }
        return _twinMapping.Describe(twin.TwinId, _gateway, tags, _methods.Length == 0 ? null : _methods);
    }

    private void ReportMismatch(JsonTwin twin, string tag, TagDataType expected, TagValue received)
    {
        Interlocked.Increment(ref _statistics.typeMismatches);
        var now = DateTimeOffset.UtcNow;
        var key = (twin.TwinId, tag);
        if (_mismatchLoggedAt.TryGetValue(key, out var last) && now - last < TimeSpan.FromMinutes(1)) return;
        if (_mismatchLoggedAt.Count > 100_000) _mismatchLoggedAt.Clear();
        if (!_mismatchLog.TryTake(now)) return;
        _mismatchLoggedAt[key] = now;
        _logger.LogWarning("MQTT gateway {Gateway}: reading of {TwinId}.{Tag} refused: expected {Expected}, received {Received} ({Value}); delivered as Bad ({Mismatches} type mismatches on this gateway so far, this tag logged at most once a minute)",
            _gateway, twin.TwinId, tag, expected, received.DataType, received.ToString(), _statistics.TypeMismatches);
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
        twin.StatusOffline = !online;
        if (!online) twin.StatusOfflineAt = DateTimeOffset.UtcNow;
        await batch.SetConnectivityAsync(twin.TwinId, online ? TwinConnectivity.Online : TwinConnectivity.Offline, online ? "status online" : "status offline (last will)", cancellationToken).ConfigureAwait(false);
    }

    public MqttCommandPlan PrepareCommand(DeviceCommand command)
    {
        if (_command is null) return MqttCommandPlan.Reject($"gateway '{_gateway}' has no Json:CommandTopic configured");
        if (!_twins.TryGetValue(command.TwinId, out var twin)) return MqttCommandPlan.Reject($"twin '{command.TwinId}' has not been seen on gateway '{_gateway}'");
        if (twin.StatusOffline)
            return MqttCommandPlan.Reject($"twin '{command.TwinId}' is offline: its device's status said offline (last will) at {twin.StatusOfflineAt:O}; the command was not published");
        var value = command.Value;
        var arguments = command.Arguments;
        if (command.Tag is not null)
        {
            if (!_options.Tags.TryGetValue(command.Tag, out var declared) || declared is null || !declared.Writable)
                return MqttCommandPlan.Reject($"tag '{command.Tag}' of twin '{command.TwinId}' is read-only (declare it in Json:Tags:{command.Tag} with Writable: true on gateway '{_gateway}')");
            var type = declared.DataType ?? (twin.Tags.TryGetValue(command.Tag, out var learned) ? learned : value.DataType);
            if (!JsonValueFit.TryFit(type, ref value))
                return MqttCommandPlan.Reject($"value is {command.Value.DataType}, tag '{command.Tag}' is {type}");
            if (value.TryGetNumber(out var number) && !value.IsNone && value.DataType is TagDataType.Integer or TagDataType.Double)
            {
                if (declared.Minimum is { } min && number < min)
                    return MqttCommandPlan.Reject($"value {value} is below the minimum {min.ToString(System.Globalization.CultureInfo.InvariantCulture)} of tag '{command.Tag}'");
                if (declared.Maximum is { } max && number > max)
                    return MqttCommandPlan.Reject($"value {value} is above the maximum {max.ToString(System.Globalization.CultureInfo.InvariantCulture)} of tag '{command.Tag}'");
            }
        }
        else if (command.Method is not null)
        {
            if (!_options.Methods.TryGetValue(command.Method, out var method) || method is null)
                return MqttCommandPlan.Reject($"method '{command.Method}' is not declared in Json:Methods of gateway '{_gateway}'{(_options.Methods.Count == 0 ? "" : " (declared: " + string.Join(", ", _options.Methods.Keys.Order(StringComparer.Ordinal)) + ")")}");
            if (method.Arguments.Count != arguments.Count)
                return MqttCommandPlan.Reject($"method '{command.Method}' takes {method.Arguments.Count} arguments ({string.Join(", ", method.Arguments.Select(a => a.Name + " " + a.DataType))}), the command gives {arguments.Count}");
            var converted = new TagValue[arguments.Count];
            for (var i = 0; i < converted.Length; i++)
            {
                converted[i] = arguments[i];
                if (!JsonValueFit.TryFit(method.Arguments[i].DataType, ref converted[i]))
                    return MqttCommandPlan.Reject($"argument {i + 1} '{method.Arguments[i].Name}' of {command.Method} ({method.Arguments[i].DataType}) cannot take the {arguments[i].DataType} {arguments[i]}");
            }
            arguments = converted;
        }
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
                WriteValue(writer, value);
            }
            else
            {
                writer.WriteString("method", command.Method);
                writer.WriteStartArray("args");
                foreach (var argument in arguments) WriteValue(writer, argument);
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
