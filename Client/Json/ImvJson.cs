using System.Text.Json;
using System.Text.Json.Serialization;

namespace Imv.Client.Json;

/// <summary>The JSON shape of Imv's types, the same as the HTTP API's: enums as names, tag values as plain JSON
/// values (<see cref="TagValueJsonConverter"/>), camelCase names, NaN and infinities as names.</summary>
public static class ImvJson
{
    /// <summary>The options (shared, read-only).</summary>
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    /// <summary>The options, indented.</summary>
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        o.Converters.Add(new JsonStringEnumConverter());
        o.Converters.Add(new TagValueJsonConverter());
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }
}
