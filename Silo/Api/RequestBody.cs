using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Imv.Silo.Api;

/// <summary>Reads a JSON request body, turning every problem (no body, not JSON, wrong shape) into a 400 answer
/// that says what was wrong and names the field: a field of the wrong type names the type wanted (an enum names its
/// allowed values; enums are accepted by name only), never a .NET type.</summary>
public static class RequestBody
{
    /// <summary>The body as <typeparamref name="T"/>, or an error answer.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken) where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength == 0) return (null, ApiResults.BadRequest("The request needs a JSON body.", new { field = "(body)" }));
        if (!request.HasJsonContentType()) return (null, ApiResults.BadRequest($"The body must be JSON (Content-Type: application/json), not '{request.ContentType}'.", new { header = "Content-Type" }));
        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, options, cancellationToken).ConfigureAwait(false);
            return value is null ? (null, ApiResults.BadRequest("The request body is null.", new { field = "(body)" })) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Describe(typeof(T), e));
        }
    }

    /// <summary>The 400 answer for a body <paramref name="type"/> could not be read from.</summary>
    public static IResult Describe(Type type, JsonException e)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(e);
        var field = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        // "could not be converted" is a value of the wrong type; anything else is JSON that does not parse.
        if (field is null || !e.Message.Contains("could not be converted", StringComparison.Ordinal))
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
            return ApiResults.BadRequest($"The request body is not valid JSON{where}" + (field is null ? "." : $" at '{field}'."), new { field = field ?? "(body)" });
        }
        var wanted = PropertyTypeOf(type, field);
        var enumType = wanted is null ? null : Nullable.GetUnderlyingType(wanted) ?? wanted;
        if (enumType is { IsEnum: true })
        {
            var names = Enum.GetNames(enumType);
            return ApiResults.BadRequest($"'{field}' must be one of {string.Join(", ", names)} (a string).", new { field, allowed = names });
        }
        return ApiResults.BadRequest($"'{field}' must be {Kind(wanted)}.", new { field });
    }

    /// <summary>The declared type of the property at <paramref name="path"/> (dotted, camelCase), when it can be found.</summary>
    private static Type? PropertyTypeOf(Type type, string path)
    {
        Type? current = type;
        foreach (var raw in path.Split('.'))
        {
            var name = raw.Split('[')[0];
            if (current is null) return null;
            var property = current.GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null) return null;
            current = property.PropertyType;
        }
        return current;
    }

    private static string Kind(Type? type)
    {
        var t = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        if (t is null) return "of another type";
        if (t == typeof(string)) return "a string";
        if (t == typeof(bool)) return "true or false";
        if (t == typeof(int) || t == typeof(long)) return "an integer";
        if (t == typeof(double) || t == typeof(float) || t == typeof(decimal)) return "a number";
        if (t == typeof(TimeSpan)) return "a duration \"hh:mm:ss\"";
        if (t == typeof(DateTimeOffset) || t == typeof(DateTime)) return "an ISO 8601 time";
        if (t.Name == "TagValue") return "a tag value (true, a number, a string, an array of one of these, or null)";
        if (t != typeof(string) && typeof(System.Collections.IEnumerable).IsAssignableFrom(t))
            return t.IsGenericType && t.GetGenericArguments().Length == 2 ? "an object" : "an array";
        return "an object";
    }
}
