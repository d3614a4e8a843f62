using Imv.Gateways.OpcUa.Encoding;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>A node id as configured: the standard text form (<c>ns=1;s=Plant.Machine1</c>), or with
/// its namespace given by URI (<c>nsu=urn:example:plc;s=Plant.Machine1</c>), resolved through the
/// server's NamespaceArray.</summary>
internal static class ConfiguredNodeId
{
    /// <summary>Checks the text; <paramref name="error"/> says what is wrong.</summary>
    public static bool TryParse(string? text, out string? namespaceUri, out NodeId nodeId, out string? error)
    {
        namespaceUri = null;
        nodeId = default;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "is empty";
            return false;
        }
        var rest = text.Trim();
        if (rest.StartsWith("nsu=", StringComparison.Ordinal))
        {
            var semi = rest.IndexOf(';', StringComparison.Ordinal);
            if (semi < 0 || semi == 4)
            {
                error = "needs a namespace URI and ';' after 'nsu=' (nsu=<uri>;s=<name>)";
                return false;
            }
            namespaceUri = rest[4..semi];
            rest = rest[(semi + 1)..];
            if (rest.StartsWith("ns=", StringComparison.Ordinal))
            {
                error = "gives both a namespace URI (nsu=) and an index (ns=)";
                return false;
            }
        }
        if (!NodeId.TryParse(rest, out nodeId))
        {
            error = "is not a node id; expected e.g. ns=1;s=Machine1.Speed, nsu=urn:example:plc;s=Machine1.Speed or i=2258";
            return false;
        }
        return true;
    }

    /// <summary>True when the text names its namespace by URI.</summary>
    public static bool UsesNamespaceUri(string? text) => text is not null && text.TrimStart().StartsWith("nsu=", StringComparison.Ordinal);

    /// <summary>Resolves a configured node id (checked by the validator) to a node id of this server.</summary>
    public static NodeId Resolve(string text, NamespaceTable? namespaces, string where)
    {
        if (!TryParse(text, out var uri, out var nodeId, out var error)) throw new FormatException($"{where} '{text}' {error}.");
        if (uri is null) return nodeId;
        var index = (namespaces ?? throw new InvalidOperationException("A namespace URI needs the server's NamespaceArray")).IndexOf(uri, $"{where} '{text}'");
        return nodeId.IdType switch
        {
            NodeIdType.Numeric => new NodeId(nodeId.NumericId, index),
            NodeIdType.String => new NodeId((string)nodeId.Identifier, index),
            NodeIdType.Guid => new NodeId((Guid)nodeId.Identifier, index),
            _ => new NodeId((byte[])nodeId.Identifier, index),
        };
    }
}
