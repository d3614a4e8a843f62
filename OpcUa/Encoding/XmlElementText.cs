namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>An XmlElement value, kept as its text (the binary encoding carries it as a UTF-8 string).</summary>
/// <param name="Xml">The XML text.</param>
public readonly record struct XmlElementText(string? Xml)
{
    /// <inheritdoc />
    public override string ToString() => Xml ?? "";
}
