using System.Buffers;

namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>The data changes of one notification message. The items live in an array rented from the
/// pool (a message can carry thousands of them, which would otherwise land on the large object heap
/// ten times a second); the consumer calls <see cref="Release"/> when done, and an unreleased array
/// is simply collected.</summary>
public sealed class DataChangeNotification
{
    private MonitoredItemNotification[]? _items;
    private readonly int _count;

    internal DataChangeNotification(MonitoredItemNotification[] items, int count)
    {
        _items = items;
        _count = count;
    }

    /// <summary>The changes, in the order the server queued them.</summary>
    public ReadOnlyMemory<MonitoredItemNotification> MonitoredItems =>
        (_items ?? throw new ObjectDisposedException(nameof(DataChangeNotification))).AsMemory(0, _count);

    /// <summary>The number of changes.</summary>
    public int Count => _count;

    /// <summary>Returns the items to the pool; <see cref="MonitoredItems"/> is unusable afterwards.</summary>
    public void Release()
    {
        var items = Interlocked.Exchange(ref _items, null);
        if (items is not null) ArrayPool<MonitoredItemNotification>.Shared.Return(items, clearArray: true);
    }
}
