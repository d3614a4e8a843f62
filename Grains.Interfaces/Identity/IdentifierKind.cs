namespace Imv.Grains.Interfaces.Identity;

/// <summary>The kinds of physical (or external) identifier the registry binds to virtual ids.</summary>
public enum IdentifierKind : byte
{
    /// <summary>A node on a gateway endpoint (an OPC UA node id on a server): <c>node:{endpoint}#{nodeId}</c>.</summary>
    GatewayNode = 0,
    /// <summary>A topic on a gateway endpoint (an MQTT broker): <c>topic:{endpoint}#{topic}</c>.</summary>
    GatewayTopic = 1,
    /// <summary>An RFID tag's EPC, as hex (<c>rfid:3034F87C...</c>) or a pure-identity EPC URN (<c>urn:epc:id:sgtin:...</c>).</summary>
    RfidEpc = 2,
    /// <summary>An employee number: <c>emp:{number}</c>.</summary>
    EmployeeNumber = 3,
    /// <summary>An industrial identifier of the prefix/suffix form (Handle / Ecode style): <c>88.100.1/press-01</c>.</summary>
    Handle = 4,
    /// <summary>A decentralized identifier: <c>did:{method}:{method-specific-id}</c>, ours being <c>did:imv:...</c>.</summary>
    Did = 5,
}
