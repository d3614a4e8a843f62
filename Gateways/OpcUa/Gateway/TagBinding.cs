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

    /// <summary>The node's declared ValueRank (-1 scalar, -2 any, -3 scalar or one dimension, 0 and above arrays).</summary>
    public int ValueRank { get; set; } = -1;

    /// <summary>The declaration allows more than one shape or type (ValueRank -1/-2/-3, an abstract DataType
    /// such as BaseDataType or Number): the tag's type follows what the server sends.</summary>
    public bool TypedByValue { get; set; }

    /// <summary>False while an abstract data type has shown no value yet: the first reading sets the type.</summary>
    public bool TypeKnown { get; set; } = true;

    /// <summary>The tag's type as described to the twin; changes only when <see cref="TypedByValue"/>.</summary>
    public TagDataType TagType { get; set; } = TagDataType.String;

    /// <summary>Readings that did not fit <see cref="TagType"/> (delivered as Bad); guarded by the binding.</summary>
    public long Mismatches { get; set; }

    /// <summary>Mismatches not yet logged (the warning is rate-limited); guarded by the binding.</summary>
    public long MismatchesUnlogged { get; set; }

    /// <summary>When the last mismatch warning of this tag was written; guarded by the binding.</summary>
    public DateTimeOffset MismatchLoggedAt { get; set; }
    public bool Writable { get; set; }
    public bool HasRange { get; set; }

    /// <summary>The EURange of an analog item (its low and high), when it has one.</summary>
    public (double Low, double High)? Range { get; set; }
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

    /// <summary>The tag's metadata for the twin description: type, rank, writable, unit, the EURange of a
    /// writable analog item as its command limits, and where it comes from.</summary>
    public TagMetadata ToMetadata(string gateway) => new(
        Tag,
        TagType,
        Unit,
        Writable,
        Minimum: Writable ? Range?.Low : null,
        Maximum: Writable ? Range?.High : null,
        ArrayRank: !IsArray ? 0 : ValueRank >= 1 ? ValueRank : 1,
        SourceGateway: gateway,
        SourceAddress: NodeId.ToString(),
        SourceDataType: DataType is { } t ? (IsArray ? t + "[]" : t.ToString()) : null);
}
