using System.Reflection;

namespace Imv.Silo.Hosting;

/// <summary>Binds a configuration section onto an object key by key, so that every unknown key and every value of
/// the wrong type is reported by its full key instead of the first one failing the whole bind.</summary>
public static class SectionBinder
{
    /// <summary>Sets each writable public property of <paramref name="target"/> named by a key of
    /// <paramref name="section"/>; keys in <paramref name="ignoredKeys"/> belong to other settings.</summary>
    public static void Bind(IConfigurationSection section, object target, ICollection<string> problems, params string[] ignoredKeys)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(problems);
        var properties = target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && IsBindable(p.PropertyType))
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (ignoredKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase)) continue;
            if (!properties.TryGetValue(child.Key, out var property))
            {
                var known = properties.Keys.Concat(ignoredKeys).Order(StringComparer.Ordinal);
                problems.Add($"{child.Path}: unknown setting (known: {string.Join(", ", known)})");
                continue;
            }
            try
            {
                property.SetValue(target, child.Get(property.PropertyType));
            }
            catch (InvalidOperationException)
            {
                problems.Add($"{child.Path} = '{child.Value}': not a valid {Describe(property.PropertyType)}");
            }
        }
    }

    private static bool IsBindable(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(TimeSpan) || type == typeof(decimal);

    private static string Describe(Type type) =>
        type == typeof(TimeSpan) ? "duration (hh:mm:ss)"
        : type == typeof(int) || type == typeof(long) ? "whole number"
        : type == typeof(bool) ? "true/false"
        : type.IsEnum ? "value (one of " + string.Join(", ", Enum.GetNames(type)) + ")"
        : type.Name;
}
