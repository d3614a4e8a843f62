using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>A written value waiting to be reported back by its monitored item, which is the plant's
/// confirmation (Applied). Guarded by the lock of its <see cref="TagBinding"/>.</summary>
internal sealed class PendingWrite(string commandId, TagValue value, DateTimeOffset expiresAt)
{
    public string CommandId { get; } = commandId;
    public TagValue Value { get; } = value;
    public DateTimeOffset ExpiresAt { get; } = expiresAt;

    /// <summary>The monitored item reported the value.</summary>
    public bool Confirmed { get; set; }

    /// <summary>SendAsync has returned Delivered, so a later confirmation goes to the sink.</summary>
    public bool Returned { get; set; }
}
