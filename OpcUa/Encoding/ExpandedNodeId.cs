using System.Globalization;

namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>A node id that may name its namespace by URI and live on another server.</summary>
/// <param name="NodeId">The node id (its namespace index is ignored when <paramref name="NamespaceUri"/> is set).</param>
/// <param name="NamespaceUri">The namespace URI, or null.</param>
/// <param name="ServerIndex">The server's index in the server table; 0 for the local server.</param>
public readonly record struct ExpandedNodeId(NodeId NodeId, string? NamespaceUri = null, uint ServerIndex = 0)
{
    /// <summary>True when it refers to a node of the local server by index.</summary>
    public bool IsLocal => NamespaceUri is null && ServerIndex == 0;

    /// <inheritdoc />
    public override string ToString()
    {
        var text = NodeId.ToString();
        if (NamespaceUri is not null) text = "nsu=" + NamespaceUri + ";" + text;
        if (ServerIndex != 0) text = "svr=" + ServerIndex.ToString(CultureInfo.InvariantCulture) + ";" + text;
        return text;
    }
}
