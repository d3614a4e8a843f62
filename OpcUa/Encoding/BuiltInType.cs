namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>The OPC UA built-in data types (OPC 10000-6 §5.1.2), by their type id.</summary>
public enum BuiltInType : byte
{
    /// <summary>No value (a null Variant).</summary>
    Null = 0,
    /// <summary>Boolean.</summary>
    Boolean = 1,
    /// <summary>Signed 8-bit integer.</summary>
    SByte = 2,
    /// <summary>Unsigned 8-bit integer.</summary>
    Byte = 3,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 4,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 5,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 7,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 8,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 9,
    /// <summary>IEEE 754 single precision.</summary>
    Float = 10,
    /// <summary>IEEE 754 double precision.</summary>
    Double = 11,
    /// <summary>UTF-8 string.</summary>
    String = 12,
    /// <summary>100 ns intervals since 1601-01-01 UTC.</summary>
    DateTime = 13,
    /// <summary>Guid.</summary>
    Guid = 14,
    /// <summary>Byte string.</summary>
    ByteString = 15,
    /// <summary>XML element, carried as a UTF-8 string.</summary>
    XmlElement = 16,
    /// <summary>Node id.</summary>
    NodeId = 17,
    /// <summary>Expanded node id.</summary>
    ExpandedNodeId = 18,
    /// <summary>Status code.</summary>
    StatusCode = 19,
    /// <summary>Qualified name.</summary>
    QualifiedName = 20,
    /// <summary>Localized text.</summary>
    LocalizedText = 21,
    /// <summary>Extension object (a structure).</summary>
    ExtensionObject = 22,
    /// <summary>Data value.</summary>
    DataValue = 23,
    /// <summary>Variant (only inside arrays of Variant).</summary>
    Variant = 24,
    /// <summary>Diagnostic info.</summary>
    DiagnosticInfo = 25,
}
