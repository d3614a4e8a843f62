using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>The serialized form of a <see cref="TagValue"/>: the data type, the scalar bits, and at most one
/// of the string or array fields (the one the data type names).</summary>
[GenerateSerializer]
[Alias("imv.tag-value")]
public struct TagValueSurrogate
{
    /// <summary>The value's data type.</summary>
    [Id(0)] public TagDataType DataType;

    /// <summary>The scalar bits of a boolean, integer or double.</summary>
    [Id(1)] public long Scalar;

    /// <summary>The string of a String value.</summary>
    [Id(2)] public string? Text;

    /// <summary>The elements of a BooleanArray.</summary>
    [Id(3)] public bool[]? Booleans;

    /// <summary>The elements of an IntegerArray.</summary>
    [Id(4)] public long[]? Integers;

    /// <summary>The elements of a DoubleArray.</summary>
    [Id(5)] public double[]? Doubles;

    /// <summary>The elements of a StringArray.</summary>
    [Id(6)] public string[]? Strings;
}
