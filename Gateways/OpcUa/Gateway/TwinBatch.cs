using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>The tag updates of one twin being collected from a notification message. Each handed-over
/// array belongs to the sink (it may keep it), so a new one is started after every hand-over.</summary>
internal sealed class TwinBatch(string twinId, int capacity)
{
    /// <summary>Most updates per batch: 1,024 updates stay below the large object heap threshold.</summary>
    public const int MaxBatch = 1024;

    private TagUpdate[] _items = new TagUpdate[Math.Max(1, capacity)];

    public string TwinId { get; } = twinId;

    public int Count { get; private set; }

    public bool IsFull => Count == _items.Length;

    public void Add(in TagUpdate update) => _items[Count++] = update;

    /// <summary>Hands the collected updates over and starts a new array of <paramref name="nextCapacity"/>.</summary>
    public ReadOnlyMemory<TagUpdate> Take(int nextCapacity)
    {
        var taken = _items.AsMemory(0, Count);
        _items = nextCapacity > 0 ? new TagUpdate[nextCapacity] : [];
        Count = 0;
        return taken;
    }
}
