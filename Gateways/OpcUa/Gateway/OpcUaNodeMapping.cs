namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>An explicit mapping of one node to a twin's tag (a variable) or method, bound from
/// <c>Gateways:OpcUa:{i}:Nodes:{j}</c>.</summary>
public sealed class OpcUaNodeMapping
{
    /// <summary>The node id in text form (<c>ns=1;s=Plant.Machine1.Speed</c>); or use <see cref="BrowsePath"/>.</summary>
    public string? NodeId { get; set; }

    /// <summary>The browse path below the Objects folder, '/'-separated, elements optionally
    /// prefixed with a namespace index (<c>Plant/Machine1/2:Speed</c>).</summary>
    public string? BrowsePath { get; set; }

    /// <summary>The twin the node belongs to.</summary>
    public string TwinId { get; set; } = "";

    /// <summary>The tag name (for a variable).</summary>
    public string? Tag { get; set; }

    /// <summary>The method name (for a method node).</summary>
    public string? Method { get; set; }

    /// <summary>The object that owns the method, when the method is given by <see cref="NodeId"/>
    /// (with a browse path the parent is used).</summary>
    public string? ObjectNodeId { get; set; }

    /// <summary>Sampling interval of this node, in ms; the endpoint's when null.</summary>
    public double? SamplingIntervalMs { get; set; }

    /// <summary>Absolute deadband of this node; the endpoint's when null.</summary>
    public double? DeadbandAbsolute { get; set; }

    /// <summary>Percent deadband of this node; the endpoint's when null.</summary>
    public double? DeadbandPercent { get; set; }
}
