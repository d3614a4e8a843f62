namespace Imv.Runtime.Serialization;

/// <summary>How a field's payload is laid out after its tag; lets a reader skip fields it does not know.</summary>
public enum WireType : byte
{
    /// <summary>An unsigned LEB128 varint (integers zig-zag encoded, booleans, enums).</summary>
    VarInt = 0,
    /// <summary>Eight little-endian bytes (double, DateTime ticks).</summary>
    Fixed64 = 1,
    /// <summary>A varint length, then that many bytes (strings, byte arrays, Guid).</summary>
    LengthPrefixed = 2,
    /// <summary>Nested fields follow until an <see cref="EndObject"/> tag (records, collections).</summary>
    StartObject = 3,
    /// <summary>Closes the innermost <see cref="StartObject"/>.</summary>
    EndObject = 4,
    /// <summary>Four little-endian bytes (float).</summary>
    Fixed32 = 5,
    /// <summary>An explicit null (collection elements; fields that are null are simply omitted).</summary>
    Null = 6,
}
