using Imv.Gateways.OpcUa.Client;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>One monitored node and the twin tag it feeds; its index in the connection's list is the
/// monitored item's client handle, so a notification finds its tag without a lookup.</summary>
internal sealed class TagBinding(string twinId, string tag, NodeId nodeId)
{
    public string TwinId { get; } = twinId;
    public string Tag { get; } = tag;
    public NodeId NodeId { get; } = nodeId;
    public BuiltInType? DataType { get; set; }
    public bool IsArray { get; set; }
    public bool Writable { get; set; }
    public bool HasRange { get; set; }
    public string? Unit { get; set; }
    public double? SamplingIntervalMs { get; set; }
    public DataChangeFilter? Filter { get; set; }
    public uint MonitoredItemId { get; set; }

    /// <summary>The last value reported (guarded by the binding itself).</summary>
    public TagValue LastValue { get; set; }

    /// <summary>Good last value known.</summary>
    public bool HasGoodValue { get; set; }

    /// <summary>Commands written and waiting for the value to be reported; lock the binding to use it.</summary>
    public List<PendingWrite> PendingWrites { get; } = [];

    public TagMetadata ToMetadata() => new(Tag, TagValueConversion.ToTagDataType(DataType, IsArray), Unit, Writable);
}
