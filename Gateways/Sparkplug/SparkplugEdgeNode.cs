namespace Imv.Gateways.Sparkplug;

/// <summary>What the host knows of one edge node: birth state, bdSeq, the last seq, aliases and devices.
/// Touched only by the gateway's consumer loop, except the immutable ids.</summary>
internal sealed class SparkplugEdgeNode
{
    public SparkplugEdgeNode(string group, string edge, string twinId)
    {
        Group = group;
        Edge = edge;
        TwinId = twinId;
    }

    public string Group { get; }
    public string Edge { get; }
    public string TwinId { get; }
    public bool Born { get; set; }
    public ulong? BdSeq { get; set; }
    /// <summary>Last seq seen (0..255), or -1 when unknown.</summary>
    public int LastSeq { get; set; } = -1;
    public Dictionary<string, SparkplugMetricInfo> Metrics { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Aliases across the node and its devices (Sparkplug aliases are unique per edge node).</summary>
    public Dictionary<ulong, SparkplugMetricInfo> Aliases { get; } = new();
    public Dictionary<string, SparkplugDevice> Devices { get; } = new(StringComparer.Ordinal);
    /// <summary>Environment.TickCount64 of the last rebirth request; 0 never.</summary>
    public long LastRebirthRequest { get; set; }
}
