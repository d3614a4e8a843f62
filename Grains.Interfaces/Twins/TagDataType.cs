namespace Imv.Grains.Interfaces.Twins;

/// <summary>The data type of a tag value.</summary>
public enum TagDataType : byte
{
    /// <summary>No value.</summary>
    None = 0,
    /// <summary>A boolean.</summary>
    Boolean = 1,
    /// <summary>A 64-bit signed integer (smaller integer types of the plant widen to this).</summary>
    Integer = 2,
    /// <summary>A 64-bit floating point number.</summary>
    Double = 3,
    /// <summary>A UTF-16 string.</summary>
    String = 4,
    /// <summary>An array of booleans.</summary>
    BooleanArray = 5,
    /// <summary>An array of 64-bit integers.</summary>
    IntegerArray = 6,
    /// <summary>An array of doubles.</summary>
    DoubleArray = 7,
    /// <summary>An array of strings.</summary>
    StringArray = 8,
}
