using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.MqttGateway;

/// <summary>Commands delivered but not yet confirmed: confirmed by an acknowledgement (by command id) or by
/// the tag reporting the commanded value; reported Expired when their deadline passes.</summary>
internal sealed class PendingCommandTracker
{
    private readonly object _lock = new();
    private readonly Dictionary<(string Twin, string Tag), List<Pending>> _byTag = new();
    private readonly Dictionary<string, Pending> _byId = new(StringComparer.Ordinal);
    private volatile int _count;

    internal sealed record Pending(string CommandId, string TwinId, string? Tag, TagValue Value, DateTimeOffset ExpiresAt);

    public int Count => _count;

    public void Register(string commandId, string twinId, string? tag, TagValue value, DateTimeOffset expiresAt, bool confirmByValue)
    {
        var pending = new Pending(commandId, twinId, tag, value, expiresAt);
        lock (_lock)
        {
            // Commands are idempotent on their id: a second send replaces the first.
            RemoveLocked(commandId);
            _byId[commandId] = pending;
            if (confirmByValue && tag is not null)
            {
                if (!_byTag.TryGetValue((twinId, tag), out var list)) _byTag[(twinId, tag)] = list = new List<Pending>(1);
                list.Add(pending);
            }
            _count = _byId.Count;
        }
    }

    public void Remove(string commandId)
    {
        lock (_lock) RemoveLocked(commandId);
    }

    /// <summary>Removes and returns the pending command with this id.</summary>
    public Pending? TakeById(string commandId)
    {
        lock (_lock)
        {
            if (!_byId.TryGetValue(commandId, out var pending)) return null;
            RemoveLocked(commandId);
            return pending;
        }
    }

    /// <summary>Commands on this tag whose value equals the reported one; removed and returned.</summary>
    public List<Pending>? TakeConfirmedByValue(string twinId, string tag, TagValue value)
    {
        if (_count == 0) return null;
        lock (_lock)
        {
            if (!_byTag.TryGetValue((twinId, tag), out var list)) return null;
            List<Pending>? confirmed = null;
            foreach (var p in list)
            {
                if (SameValue(p.Value, value)) (confirmed ??= new List<Pending>()).Add(p);
            }
            if (confirmed is not null) foreach (var p in confirmed) RemoveLocked(p.CommandId);
            return confirmed;
        }
    }

    public List<Pending>? TakeExpired(DateTimeOffset now)
    {
        if (_count == 0) return null;
        lock (_lock)
        {
            var expired = _byId.Values.Where(p => p.ExpiresAt <= now).ToList();
            foreach (var p in expired) RemoveLocked(p.CommandId);
            return expired.Count == 0 ? null : expired;
        }
    }

    private void RemoveLocked(string commandId)
    {
        if (!_byId.Remove(commandId, out var pending)) return;
        if (pending.Tag is not null && _byTag.TryGetValue((pending.TwinId, pending.Tag), out var list))
        {
            list.Remove(pending);
            if (list.Count == 0) _byTag.Remove((pending.TwinId, pending.Tag));
        }
        _count = _byId.Count;
    }

    /// <summary>Equal values; numbers compare with a relative tolerance because a device may hold a float32.</summary>
    private static bool SameValue(TagValue commanded, TagValue reported)
    {
        if (commanded.Equals(reported)) return true;
        if (commanded.DataType is TagDataType.Double or TagDataType.Integer && reported.DataType is TagDataType.Double or TagDataType.Integer
            && commanded.TryGetNumber(out var a) && reported.TryGetNumber(out var b))
        {
            return Math.Abs(a - b) <= 1e-6 * Math.Max(1, Math.Max(Math.Abs(a), Math.Abs(b)));
        }
        return false;
    }
}
