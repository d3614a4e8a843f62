using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Client.Json;

/// <summary>Writes a <see cref="TagValue"/> as plain JSON (a boolean, number, string, array, or null for none) and
/// reads one back: an integer literal becomes an integer, any other number a double.</summary>
public sealed class TagValueJsonConverter : JsonConverter<TagValue>
{
    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override TagValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null: return TagValue.None;
            case JsonTokenType.True: return TagValue.FromBoolean(true);
            case JsonTokenType.False: return TagValue.FromBoolean(false);
            case JsonTokenType.String: return TagValue.FromString(reader.GetString()!);
            case JsonTokenType.Number:
                return reader.TryGetInt64(out long l) && !IsDecimalLiteral(reader) ? TagValue.FromInteger(l) : TagValue.FromDouble(reader.GetDouble());
            case JsonTokenType.StartArray:
                return ReadArray(ref reader);
            default:
                throw new JsonException($"A tag value is a boolean, a number, a string or an array of one of them, not {reader.TokenType}.");
        }
    }

    private static bool IsDecimalLiteral(Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> span = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        return span.IndexOfAny((byte)'.', (byte)'e', (byte)'E') >= 0;
    }

    private static TagValue ReadArray(ref Utf8JsonReader reader)
    {
        var bools = new List<bool>();
        var numbers = new List<double>();
        var strings = new List<string>();
        bool allIntegers = true;
        JsonTokenType? kind = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var t = reader.TokenType is JsonTokenType.True or JsonTokenType.False ? JsonTokenType.True : reader.TokenType;
            if (kind is null) kind = t;
            else if (kind != t) throw new JsonException("An array tag value holds elements of one type only.");
            switch (t)
            {
                case JsonTokenType.True: bools.Add(reader.GetBoolean()); break;
                case JsonTokenType.String: strings.Add(reader.GetString()!); break;
                case JsonTokenType.Number:
                    if (!reader.TryGetInt64(out _) || IsDecimalLiteral(reader)) allIntegers = false;
                    numbers.Add(reader.GetDouble());
                    break;
                default: throw new JsonException($"An array tag value holds booleans, numbers or strings, not {reader.TokenType}.");
            }
        }
        return kind switch
        {
            JsonTokenType.True => TagValue.FromArray(bools.ToArray()),
            JsonTokenType.String => TagValue.FromArray(strings.ToArray()),
            JsonTokenType.Number when allIntegers => TagValue.FromArray(numbers.Select(n => (long)n).ToArray()),
            JsonTokenType.Number => TagValue.FromArray(numbers.ToArray()),
            _ => TagValue.FromArray(Array.Empty<double>()),
        };
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, TagValue value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value.DataType)
        {
            case TagDataType.None: writer.WriteNullValue(); break;
            case TagDataType.Boolean: writer.WriteBooleanValue(value.AsBoolean()); break;
            case TagDataType.Integer: writer.WriteNumberValue(value.AsInteger()); break;
            case TagDataType.Double: WriteDouble(writer, value.AsDouble()); break;
            case TagDataType.String: writer.WriteStringValue(value.AsString()); break;
            default:
                writer.WriteStartArray();
                switch (value.AsArray())
                {
                    case bool[] b: foreach (var x in b) writer.WriteBooleanValue(x); break;
                    case long[] l: foreach (var x in l) writer.WriteNumberValue(x); break;
                    case double[] d: foreach (var x in d) WriteDouble(writer, x); break;
                    case string[] s: foreach (var x in s) writer.WriteStringValue(x); break;
                }
                writer.WriteEndArray();
                break;
        }
    }

    private static void WriteDouble(Utf8JsonWriter writer, double d)
    {
        // A double keeps its fraction (50.0, not 50), so a reader tells a double tag from an integer one.
        if (double.IsFinite(d))
        {
            var text = d.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
            if (text.AsSpan().IndexOfAny('.', 'E', 'e') < 0) writer.WriteRawValue(text + ".0", skipInputValidation: true);
            else writer.WriteNumberValue(d);
        }
        else writer.WriteStringValue(d.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
