using Orleans;

namespace Imv.Grains.Interfaces.Identity;

/// <summary>A validated physical or external identifier in canonical form. Build one with the factory
/// methods or <see cref="IdentifierParser"/>; two identifiers that name the same thing have the same
/// <see cref="Canonical"/> text, which is what the registry keys on.</summary>
/// <param name="Kind">What kind of identifier it is.</param>
/// <param name="Canonical">The canonical text, e.g. <c>88.100.1/press-01</c> or <c>emp:E1234</c>.</param>
[GenerateSerializer]
public sealed record PhysicalIdentifier(
    [property: Id(0)] IdentifierKind Kind,
    [property: Id(1)] string Canonical)
{
    /// <inheritdoc />
    public override string ToString() => Canonical;

    /// <summary>A node on a gateway endpoint.</summary>
    public static PhysicalIdentifier GatewayNode(string endpoint, string nodeId) => IdentifierParser.GatewayNode(endpoint, nodeId);

    /// <summary>A topic on a gateway endpoint.</summary>
    public static PhysicalIdentifier GatewayTopic(string endpoint, string topic) => IdentifierParser.GatewayTopic(endpoint, topic);

    /// <summary>An RFID EPC (hex or EPC URN).</summary>
    public static PhysicalIdentifier Rfid(string epc) => IdentifierParser.Parse(epc.StartsWith("urn:", StringComparison.OrdinalIgnoreCase) ? epc : "rfid:" + epc);

    /// <summary>An employee number.</summary>
    public static PhysicalIdentifier Employee(string number) => IdentifierParser.Parse("emp:" + number);

    /// <summary>A prefix/suffix industrial identifier.</summary>
    public static PhysicalIdentifier Handle(string prefix, string suffix) => IdentifierParser.Parse(prefix + "/" + suffix);

    /// <summary>A DID.</summary>
    public static PhysicalIdentifier Did(string did) => IdentifierParser.Parse(did);
}
