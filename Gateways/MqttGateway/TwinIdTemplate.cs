using System.Text;

namespace Imv.Gateways.MqttGateway;

/// <summary>A twin id template such as <c>{group}.{edge}.{device}</c>: literal text and {placeholders}.</summary>
public sealed class TwinIdTemplate
{
    private readonly (string? Literal, int Index)[] _parts;

    private TwinIdTemplate(string template, (string?, int)[] parts)
    {
        Template = template;
        _parts = parts;
    }

    /// <summary>The template text.</summary>
    public string Template { get; }

    /// <summary>Parses a template whose placeholders must be among <paramref name="names"/>; throws
    /// <see cref="FormatException"/> naming an unknown or unclosed placeholder.</summary>
    public static TwinIdTemplate Parse(string template, IReadOnlyList<string> names)
    {
        if (string.IsNullOrWhiteSpace(template)) throw new FormatException("The twin id template is empty.");
        var parts = new List<(string?, int)>();
        var i = 0;
        while (i < template.Length)
        {
            var open = template.IndexOf('{', i);
            if (open < 0) { parts.Add((template[i..], -1)); break; }
            if (open > i) parts.Add((template[i..open], -1));
            var close = template.IndexOf('}', open);
            if (close < 0) throw new FormatException($"Twin id template '{template}': '{{' at {open} is not closed.");
            var name = template[(open + 1)..close];
            var index = names.ToList().IndexOf(name);
            if (index < 0) throw new FormatException($"Twin id template '{template}': unknown placeholder {{{name}}}; known: {string.Join(", ", names.Select(n => "{" + n + "}"))}.");
            parts.Add((null, index));
            i = close + 1;
        }
        return new TwinIdTemplate(template, parts.ToArray());
    }

    /// <summary>Builds the twin id from values given in the order of the names the template was parsed with.</summary>
    public string Format(ReadOnlySpan<string> values)
    {
        var builder = new StringBuilder(64);
        foreach (var (literal, index) in _parts) builder.Append(literal ?? values[index]);
        return builder.ToString();
    }
}
