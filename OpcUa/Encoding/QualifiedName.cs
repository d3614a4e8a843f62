namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>A name qualified by a namespace index (browse names).</summary>
/// <param name="NamespaceIndex">The namespace index.</param>
/// <param name="Name">The name.</param>
public readonly record struct QualifiedName(ushort NamespaceIndex, string? Name)
{
    /// <inheritdoc />
    public override string ToString() => NamespaceIndex == 0 ? Name ?? "" : $"{NamespaceIndex}:{Name}";
}
