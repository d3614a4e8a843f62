namespace Imv.Gateways.MqttJson;

/// <summary>A topic with named segments, e.g. <c>plant/{site}/{line}/{machine}/telemetry</c>: each {name}
/// fills one whole level. Gives the subscription filter (named segments become +), matches topics and
/// builds topics from segment values.</summary>
public sealed class MqttTopicTemplate
{
    private readonly string?[] _literals;
    private readonly int[] _nameIndex;

    private MqttTopicTemplate(string template, string?[] literals, int[] nameIndex, string[] names)
    {
        Template = template;
        _literals = literals;
        _nameIndex = nameIndex;
        Names = names;
        Filter = string.Join('/', literals.Select(l => l ?? "+"));
    }

    /// <summary>The template text.</summary>
    public string Template { get; }
    /// <summary>The named segments, in order.</summary>
    public IReadOnlyList<string> Names { get; }
    /// <summary>The subscription filter.</summary>
    public string Filter { get; }

    /// <summary>Parses a template; throws <see cref="FormatException"/> naming the problem.</summary>
    public static MqttTopicTemplate Parse(string template)
    {
        if (string.IsNullOrWhiteSpace(template)) throw new FormatException("The topic template is empty.");
        var levels = template.Split('/');
        var literals = new string?[levels.Length];
        var nameIndex = new int[levels.Length];
        var names = new List<string>();
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            nameIndex[i] = -1;
            if (level.Length > 2 && level[0] == '{' && level[^1] == '}')
            {
                var name = level[1..^1];
                if (name.IndexOfAny(['{', '}', '+', '#']) >= 0) throw new FormatException($"Topic template '{template}': segment '{level}' is not a valid name.");
                if (names.Contains(name)) throw new FormatException($"Topic template '{template}': segment name '{name}' appears twice.");
                nameIndex[i] = names.Count;
                names.Add(name);
            }
            else
            {
                if (level.IndexOfAny(['{', '}', '+', '#']) >= 0)
                    throw new FormatException($"Topic template '{template}': level '{level}' must be literal text or a whole {{name}}.");
                literals[i] = level;
            }
        }
        return new MqttTopicTemplate(template, literals, nameIndex, names.ToArray());
    }

    /// <summary>Matches a topic; on success <paramref name="values"/> holds the named segments in
    /// <see cref="Names"/> order.</summary>
    public bool TryMatch(string topic, out string[] values)
    {
        values = Array.Empty<string>();
        var span = topic.AsSpan();
        var result = new string[Names.Count];
        for (var i = 0; i < _literals.Length; i++)
        {
            var slash = span.IndexOf('/');
            var last = i == _literals.Length - 1;
            if (last != (slash < 0)) return false;
            var level = last ? span : span.Slice(0, slash);
            if (_literals[i] is { } literal)
            {
                if (!level.SequenceEqual(literal)) return false;
            }
            else
            {
                if (level.IsEmpty) return false;
                result[_nameIndex[i]] = new string(level);
            }
            if (!last) span = span.Slice(slash + 1);
        }
        values = result;
        return true;
    }

    /// <summary>Builds a topic from values given by name; throws <see cref="KeyNotFoundException"/> for a missing one.</summary>
    public string Format(IReadOnlyDictionary<string, string> values)
    {
        var levels = new string[_literals.Length];
        for (var i = 0; i < levels.Length; i++)
            levels[i] = _literals[i] ?? (values.TryGetValue(Names[_nameIndex[i]], out var v) ? v : throw new KeyNotFoundException($"No value for segment '{Names[_nameIndex[i]]}' of topic template '{Template}'."));
        return string.Join('/', levels);
    }
}
