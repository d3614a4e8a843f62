namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>A structure carried with its encoding id. Structures this client does not know are kept
/// opaque: their body bytes travel unchanged, so they can be written back.</summary>
/// <param name="TypeId">The id of the encoding (e.g. the DefaultBinary encoding node of the type).</param>
/// <param name="Encoding">0 = no body, 1 = binary body, 2 = XML body.</param>
/// <param name="Body">The encoded body (binary or UTF-8 XML); empty when there is none, and for
/// received structures the client decoded (see <see cref="Decoded"/>).</param>
public sealed record ExtensionObject(NodeId TypeId, byte Encoding, byte[] Body)
{
    /// <summary>The decoded body when the type is known to the client (e.g. a DataChangeNotification); null otherwise.</summary>
    public object? Decoded { get; init; }
}
