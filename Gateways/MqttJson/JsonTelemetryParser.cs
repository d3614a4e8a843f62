using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Imv.Gateways.Mqtt;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.MqttJson;

/// <summary>Parses telemetry bodies <c>{"tag": value, ...}</c> or <c>{"ts": ms-or-ISO-8601, "values": {...}}</c>
/// with a forward-only reader. Tag names are interned so a steady stream does not allocate them again.
/// Bad input throws <see cref="MqttDecodeException"/> only.</summary>
internal sealed class JsonTelemetryParser
{
    private readonly MqttTopicCache _names = new(50_000);

    /// <summary>Parses a body into (tag, value) pairs appended to <paramref name="values"/>; returns the
    /// message timestamp if the body has one.</summary>
    public DateTimeOffset? Parse(ReadOnlySpan<byte> body, List<(string Tag, TagValue Value)> values)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new MqttDecodeException("telemetry body is not a JSON object");
            DateTimeOffset? timestamp = null;
            ReadObject(ref reader, values, ref timestamp, nested: false);
            if (reader.Read()) throw new MqttDecodeException("telemetry body has content after the JSON object");
            return timestamp;
        }
        catch (JsonException ex)
        {
            throw new MqttDecodeException($"telemetry body is not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // Utf8JsonReader reports invalid UTF-8 inside a string this way.
            throw new MqttDecodeException($"telemetry body is not valid JSON: {ex.Message}", ex);
        }
    }

    private void ReadObject(ref Utf8JsonReader reader, List<(string, TagValue)> values, ref DateTimeOffset? timestamp, bool nested)
    {
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject) return;
            var name = PropertyName(ref reader);
            reader.Read();
            if (!nested && name == "ts")
            {
                timestamp = ReadTimestamp(ref reader);
                continue;
            }
            if (!nested && name == "values" && reader.TokenType == JsonTokenType.StartObject)
            {
                ReadObject(ref reader, values, ref timestamp, nested: true);
                continue;
            }
            values.Add((name, ReadValue(ref reader, name)));
        }
        throw new MqttDecodeException("telemetry body ends inside an object");
    }

    private string PropertyName(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence) return reader.GetString()!;
        var bytes = reader.ValueSpan;
        if (bytes.IsEmpty) throw new MqttDecodeException("telemetry body has an empty tag name");
        return MqttSpanReader.DecodeUtf8(bytes, "tag name", _names);
    }

    private static DateTimeOffset ReadTimestamp(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (!reader.TryGetInt64(out var ms) || ms < 0 || ms > 253_402_300_799_999L)
                    throw new MqttDecodeException("\"ts\" is not a millisecond Unix time in range");
                return DateTimeOffset.FromUnixTimeMilliseconds(ms);
            case JsonTokenType.String:
                var text = reader.GetString()!;
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
                    return parsed;
                throw new MqttDecodeException($"\"ts\" value '{text}' is not an ISO 8601 time");
            default:
                throw new MqttDecodeException($"\"ts\" is a {reader.TokenType}, not a number or an ISO 8601 string");
        }
    }

    private static TagValue ReadValue(ref Utf8JsonReader reader, string name)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.True: return TagValue.FromBoolean(true);
            case JsonTokenType.False: return TagValue.FromBoolean(false);
            case JsonTokenType.Null: return TagValue.None;
            case JsonTokenType.String: return TagValue.FromString(reader.GetString()!);
            case JsonTokenType.Number: return ReadNumber(ref reader);
            case JsonTokenType.StartArray: return ReadArray(ref reader, name);
            default: throw new MqttDecodeException($"tag '{name}' has a {reader.TokenType} value; only numbers, booleans, strings, null and arrays are mapped");
        }
    }

    private static TagValue ReadNumber(ref Utf8JsonReader reader)
    {
        var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0 && reader.TryGetInt64(out var integer)) return TagValue.FromInteger(integer);
        return TagValue.FromDouble(reader.GetDouble());
    }

    private static TagValue ReadArray(ref Utf8JsonReader reader, string name)
    {
        var items = new List<TagValue>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject or JsonTokenType.Null)
                throw new MqttDecodeException($"tag '{name}': arrays may hold only numbers, booleans or strings");
            items.Add(ReadValue(ref reader, name));
        }
        if (items.Count == 0) return TagValue.FromArray(Array.Empty<double>());
        if (items.All(i => i.DataType == TagDataType.Integer)) return TagValue.FromArray(items.Select(i => i.AsInteger()).ToArray());
        if (items.All(i => i.DataType is TagDataType.Integer or TagDataType.Double))
            return TagValue.FromArray(items.Select(i => i.TryGetNumber(out var d) ? d : 0).ToArray());
        if (items.All(i => i.DataType == TagDataType.Boolean)) return TagValue.FromArray(items.Select(i => i.AsBoolean()).ToArray());
        if (items.All(i => i.DataType == TagDataType.String)) return TagValue.FromArray(items.Select(i => i.AsString()).ToArray());
        throw new MqttDecodeException($"tag '{name}': array mixes value types");
    }
}
