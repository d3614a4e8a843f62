namespace Imv.Gateways.Sparkplug;

/// <summary>Sparkplug B metric data types (specification 3.0, section 6.4.16).</summary>
public enum SparkplugDataType : uint
{
    /// <summary>Unknown.</summary>
    Unknown = 0,
    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 1,
    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 2,
    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 3,
    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 4,
    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 5,
    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 6,
    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 7,
    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 8,
    /// <summary>32-bit float.</summary>
    Float = 9,
    /// <summary>64-bit float.</summary>
    Double = 10,
    /// <summary>Boolean.</summary>
    Boolean = 11,
    /// <summary>String.</summary>
    String = 12,
    /// <summary>Milliseconds since the Unix epoch.</summary>
    DateTime = 13,
    /// <summary>Text.</summary>
    Text = 14,
    /// <summary>UUID as a string.</summary>
    Uuid = 15,
    /// <summary>Data set (not mapped to tags).</summary>
    DataSet = 16,
    /// <summary>Bytes (not mapped to tags).</summary>
    Bytes = 17,
    /// <summary>File (not mapped to tags).</summary>
    File = 18,
    /// <summary>Template (not mapped to tags).</summary>
    Template = 19,
    /// <summary>Property set.</summary>
    PropertySet = 20,
    /// <summary>Property set list.</summary>
    PropertySetList = 21,
    /// <summary>Int8 array.</summary>
    Int8Array = 22,
    /// <summary>Int16 array.</summary>
    Int16Array = 23,
    /// <summary>Int32 array.</summary>
    Int32Array = 24,
    /// <summary>Int64 array.</summary>
    Int64Array = 25,
    /// <summary>UInt8 array.</summary>
    UInt8Array = 26,
    /// <summary>UInt16 array.</summary>
    UInt16Array = 27,
    /// <summary>UInt32 array.</summary>
    UInt32Array = 28,
    /// <summary>UInt64 array.</summary>
    UInt64Array = 29,
    /// <summary>Float array.</summary>
    FloatArray = 30,
    /// <summary>Double array.</summary>
    DoubleArray = 31,
    /// <summary>Boolean array.</summary>
    BooleanArray = 32,
    /// <summary>String array.</summary>
    StringArray = 33,
    /// <summary>DateTime array.</summary>
    DateTimeArray = 34,
}
