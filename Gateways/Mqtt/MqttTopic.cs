namespace Imv.Gateways.Mqtt;

/// <summary>Topic name and filter rules: validation and matching with + and # wildcards.</summary>
public static class MqttTopic
{
    /// <summary>Throws <see cref="ArgumentException"/> when a topic name is empty or contains a wildcard or U+0000.</summary>
    public static void ValidateTopicName(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.Length == 0) throw new ArgumentException("A topic name must not be empty.", nameof(topic));
        if (topic.AsSpan().IndexOfAny('+', '#', '\0') >= 0)
            throw new ArgumentException($"Topic name '{topic}' must not contain '+', '#' or U+0000.", nameof(topic));
    }

    /// <summary>Throws <see cref="ArgumentException"/> when a topic filter is malformed (a wildcard not
    /// filling a whole level, # not last).</summary>
    public static void ValidateTopicFilter(string filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (filter.Length == 0) throw new ArgumentException("A topic filter must not be empty.", nameof(filter));
        var levels = filter.Split('/');
        for (var i = 0; i < levels.Length; i++)
        {
            var level = levels[i];
            if (level.Contains('#') && (level != "#" || i != levels.Length - 1))
                throw new ArgumentException($"Topic filter '{filter}': '#' must be a whole level and the last one.", nameof(filter));
            if (level.Contains('+') && level != "+")
                throw new ArgumentException($"Topic filter '{filter}': '+' must be a whole level.", nameof(filter));
        }
    }

    /// <summary>True when <paramref name="topic"/> matches <paramref name="filter"/>.</summary>
    public static bool Matches(string filter, string topic)
    {
        var f = filter.AsSpan();
        var t = topic.AsSpan();
        // Topics starting with $ are not matched by a leading wildcard (MQTT-4.7.2-1).
        if (t.Length > 0 && t[0] == '$' && f.Length > 0 && (f[0] == '+' || f[0] == '#')) return false;
        while (true)
        {
            var fi = f.IndexOf('/');
            var fLevel = fi < 0 ? f : f.Slice(0, fi);
            if (fLevel.SequenceEqual("#")) return true;
            var ti = t.IndexOf('/');
            var tLevel = ti < 0 ? t : t.Slice(0, ti);
            if (!fLevel.SequenceEqual("+") && !fLevel.SequenceEqual(tLevel)) return false;
            if (fi < 0 || ti < 0)
            {
                // "a/#" also matches "a".
                if (fi >= 0 && ti < 0) return f.Slice(fi + 1).SequenceEqual("#");
                return fi < 0 && ti < 0;
            }
            f = f.Slice(fi + 1);
            t = t.Slice(ti + 1);
        }
    }
}
