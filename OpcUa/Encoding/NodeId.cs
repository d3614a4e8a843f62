using System.Globalization;

namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>An OPC UA node id: a namespace index and a numeric, string, Guid or opaque identifier.
/// Written and parsed in the standard text form (<c>i=85</c>, <c>ns=1;s=Machine1.Speed</c>,
/// <c>ns=2;g=...</c>, <c>ns=3;b=base64</c>).</summary>
public readonly struct NodeId : IEquatable<NodeId>
{
    private readonly uint _numeric;
    private readonly object? _identifier;

    /// <summary>A numeric node id.</summary>
    public NodeId(uint value, ushort namespaceIndex = 0)
    {
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.Numeric;
        _numeric = value;
        _identifier = null;
    }

    /// <summary>A string node id.</summary>
    public NodeId(string value, ushort namespaceIndex)
    {
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.String;
        _numeric = 0;
        _identifier = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>A Guid node id.</summary>
    public NodeId(Guid value, ushort namespaceIndex)
    {
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.Guid;
        _numeric = 0;
        _identifier = value;
    }

    /// <summary>An opaque node id.</summary>
    public NodeId(byte[] value, ushort namespaceIndex)
    {
        NamespaceIndex = namespaceIndex;
        IdType = NodeIdType.Opaque;
        _numeric = 0;
        _identifier = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>The null node id (i=0).</summary>
    public static NodeId Null => default;

    /// <summary>The namespace index.</summary>
    public ushort NamespaceIndex { get; }

    /// <summary>The kind of identifier.</summary>
    public NodeIdType IdType { get; }

    /// <summary>True for ns=0;i=0.</summary>
    public bool IsNull => NamespaceIndex == 0 && IdType == NodeIdType.Numeric && _numeric == 0;

    /// <summary>The numeric identifier (0 when not numeric).</summary>
    public uint NumericId => _numeric;

    /// <summary>The identifier: a uint, string, Guid or byte[].</summary>
    public object Identifier => IdType == NodeIdType.Numeric ? _numeric : _identifier!;

    /// <summary>Parses the standard text form.</summary>
    public static NodeId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ushort ns = 0;
        var rest = text.AsSpan().Trim();
        if (rest.StartsWith("ns=", StringComparison.Ordinal))
        {
            var semi = rest.IndexOf(';');
            if (semi < 0 || !ushort.TryParse(rest[3..semi], NumberStyles.None, CultureInfo.InvariantCulture, out ns))
                throw new FormatException($"Node id '{text}' has an invalid namespace part; expected e.g. 'ns=1;s=Name'.");
            rest = rest[(semi + 1)..];
        }
        if (rest.Length < 2 || rest[1] != '=')
            throw new FormatException($"Node id '{text}' has no identifier; expected i=, s=, g= or b=.");
        var value = rest[2..];
        return rest[0] switch
        {
            'i' when uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => new NodeId(n, ns),
            's' => new NodeId(value.ToString(), ns),
            'g' when Guid.TryParse(value, out var g) => new NodeId(g, ns),
            'b' => new NodeId(Convert.FromBase64String(value.ToString()), ns),
            _ => throw new FormatException($"Node id '{text}' is not valid; expected i=<uint>, s=<string>, g=<guid> or b=<base64>."),
        };
    }

    /// <summary>Parses the text form; false when it is not valid.</summary>
    public static bool TryParse(string? text, out NodeId nodeId)
    {
        nodeId = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        try
        {
            nodeId = Parse(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public bool Equals(NodeId other) =>
        NamespaceIndex == other.NamespaceIndex && IdType == other.IdType && IdType switch
        {
            NodeIdType.Numeric => _numeric == other._numeric,
            NodeIdType.String => string.Equals((string)_identifier!, (string)other._identifier!, StringComparison.Ordinal),
            NodeIdType.Guid => (Guid)_identifier! == (Guid)other._identifier!,
            _ => ((byte[])_identifier!).AsSpan().SequenceEqual((byte[])other._identifier!),
        };

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is NodeId other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => IdType switch
    {
        NodeIdType.Numeric => HashCode.Combine(NamespaceIndex, _numeric),
        NodeIdType.String => HashCode.Combine(NamespaceIndex, ((string)_identifier!).GetHashCode(StringComparison.Ordinal)),
        NodeIdType.Guid => HashCode.Combine(NamespaceIndex, (Guid)_identifier!),
        _ => HashCode.Combine(NamespaceIndex, ((byte[])_identifier!).Length),
    };

    /// <summary>Equality.</summary>
    public static bool operator ==(NodeId left, NodeId right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(NodeId left, NodeId right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString()
    {
        var prefix = NamespaceIndex == 0 ? "" : "ns=" + NamespaceIndex.ToString(CultureInfo.InvariantCulture) + ";";
        return IdType switch
        {
            NodeIdType.Numeric => prefix + "i=" + _numeric.ToString(CultureInfo.InvariantCulture),
            NodeIdType.String => prefix + "s=" + (string)_identifier!,
            NodeIdType.Guid => prefix + "g=" + ((Guid)_identifier!).ToString(),
            _ => prefix + "b=" + Convert.ToBase64String((byte[])_identifier!),
        };
    }
}
