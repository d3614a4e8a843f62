namespace Imv.Gateways.Mqtt;

/// <summary>Interns topic strings so that the same topic arriving again does not allocate a new string.
/// Bounded: once full, new topics are allocated but not remembered. Not thread-safe: one per reader loop.</summary>
internal sealed class MqttTopicCache
{
    private readonly Dictionary<string, string> _topics = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly int _capacity;

    public MqttTopicCache(int capacity)
    {
        _capacity = capacity;
        _lookup = _topics.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _topics.Count;

    public string Get(ReadOnlySpan<char> topic)
    {
        if (_lookup.TryGetValue(topic, out var existing)) return existing;
        var text = new string(topic);
        if (_topics.Count < _capacity) _topics[text] = text;
        return text;
    }
}
