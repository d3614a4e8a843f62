using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Imv.Gateways.Configuration;

/// <summary>Checks a configuration section against the options type it binds to, before binding: every key
/// must name a property (a misspelt key is otherwise ignored without a word), lists must be indexed
/// 0, 1, ..., and every value must convert to its property's type (the binder stops at the first that does
/// not). Each problem names its full key.</summary>
internal static class ConfigurationShape
{
    /// <summary>Adds one line per problem of <paramref name="section"/> bound as <paramref name="type"/>, and
    /// returns the paths whose values cannot be bound (leave them out to bind the rest).</summary>
    public static HashSet<string> Check(IConfigurationSection section, Type type, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(errors);
        var unbindable = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        CheckNode(section, type, errors, unbindable, depth: 0);
        return unbindable;
    }

    /// <summary>The section as a configuration of its own without the given paths (so that the binder,
    /// which stops at the first value it cannot convert, binds everything else).</summary>
    public static IConfigurationSection Without(IConfigurationSection section, HashSet<string> paths)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0) return section;
        var values = section.AsEnumerable().Where(kv => kv.Value is not null && !paths.Any(p => kv.Key.Equals(p, StringComparison.OrdinalIgnoreCase)
                                                                                             || kv.Key.StartsWith(p + ":", StringComparison.OrdinalIgnoreCase)));
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection(section.Path);
    }

    private static void CheckNode(IConfigurationSection section, Type type, List<string> errors, HashSet<string> unbindable, int depth)
    {
        if (depth > 16) return;
        var children = section.GetChildren().ToList();
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (IsSimple(underlying))
        {
            if (children.Count > 0)
            {
                errors.Add($"{section.Path} takes a single {Describe(underlying)} value, not the keys {string.Join(", ", children.Select(c => c.Key))}.");
                unbindable.Add(section.Path);
                return;
            }
            if (section.Value is null || section.Value.Length == 0 && underlying != typeof(string)) return; // null/empty: the default
            if (!Converts(section.Value, underlying))
            {
                errors.Add($"{section.Path} = '{section.Value}' is not {Describe(underlying)}.");
                unbindable.Add(section.Path);
            }
            return;
        }
        if (ElementTypeOfList(type) is { } element)
        {
            if (children.Count == 0 && !string.IsNullOrEmpty(section.Value))
            {
                errors.Add($"{section.Path} = '{section.Value}' must be a list ({section.Path}:0, {section.Path}:1, ...).");
                unbindable.Add(section.Path);
                return;
            }
            foreach (var child in children)
            {
                if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"{child.Path} is not a list index: {section.Path} is a list ({section.Path}:0, {section.Path}:1, ...), not an object with a key '{child.Key}'.");
                    unbindable.Add(child.Path);
                    continue;
                }
                CheckNode(child, element, errors, unbindable, depth + 1);
            }
            return;
        }
        if (ValueTypeOfDictionary(type) is { } valueType)
        {
            foreach (var child in children) CheckNode(child, valueType, errors, unbindable, depth + 1);
            return;
        }
        if (children.Count == 0 && !string.IsNullOrEmpty(section.Value))
        {
            errors.Add($"{section.Path} = '{section.Value}' must be an object with keys ({string.Join(", ", Properties(type).Keys.Take(6))}, ...).");
            unbindable.Add(section.Path);
            return;
        }
        var properties = Properties(type);
        foreach (var child in children)
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                var suggestion = Closest(child.Key, properties.Keys);
                errors.Add($"{child.Path} is not a known key{(suggestion is null ? "" : $" (did you mean {section.Path}:{suggestion}?)")}; known keys: {string.Join(", ", properties.Keys.Order(StringComparer.Ordinal))}.");
                continue;
            }
            CheckNode(child, property.PropertyType, errors, unbindable, depth + 1);
        }
    }

    private static Dictionary<string, PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && (p.CanWrite && p.SetMethod!.IsPublic || ElementTypeOfList(p.PropertyType) is not null || !IsSimple(p.PropertyType)))
            .GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);

    private static bool IsSimple(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan)
               || t == typeof(DateTime) || t == typeof(DateTimeOffset) || t == typeof(Guid) || t == typeof(Uri);
    }

    private static bool Converts(string value, Type type)
    {
        if (type == typeof(string)) return true;
        if (type.IsEnum) return Enum.TryParse(type, value, ignoreCase: true, out _);
        try
        {
            var converter = TypeDescriptor.GetConverter(type);
            return converter.ConvertFromInvariantString(value) is not null;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException || ex.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type type)
    {
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type));
        return type == typeof(bool) ? "true or false"
            : type == typeof(int) || type == typeof(long) || type == typeof(short) ? "a whole number"
            : type == typeof(uint) || type == typeof(ushort) || type == typeof(ulong) || type == typeof(byte) ? "a whole number, zero or positive"
            : type == typeof(double) || type == typeof(float) || type == typeof(decimal) ? "a number"
            : type == typeof(TimeSpan) ? "a duration (hh:mm:ss)"
            : "a " + type.Name;
    }

    private static Type? ElementTypeOfList(Type type)
    {
        if (type == typeof(string)) return null;
        if (type.IsArray) return type.GetElementType();
        if (!type.IsGenericType) return null;
        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(List<>) || definition == typeof(IList<>) || definition == typeof(IReadOnlyList<>)
            || definition == typeof(ICollection<>) || definition == typeof(IEnumerable<>) || definition == typeof(IReadOnlyCollection<>))
            return type.GetGenericArguments()[0];
        return null;
    }

    private static Type? ValueTypeOfDictionary(Type type)
    {
        if (!type.IsGenericType) return typeof(IDictionary).IsAssignableFrom(type) ? typeof(string) : null;
        var definition = type.GetGenericTypeDefinition();
        if (definition == typeof(Dictionary<,>) || definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>))
            return type.GetGenericArguments()[1];
        return null;
    }

    /// <summary>The known key nearest to a misspelt one (edit distance at most a third of its length).</summary>
    private static string? Closest(string key, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var d = Distance(key.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = candidate;
            }
        }
        return bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
