using Orleans;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>Converts <see cref="TagValue"/> to and from its serialized form; a form whose payload does not
/// match its data type (a damaged record, a foreign writer) is refused by name.</summary>
[RegisterConverter]
public sealed class TagValueSurrogateConverter : IConverter<TagValue, TagValueSurrogate>
{
    /// <inheritdoc />
    public TagValue ConvertFromSurrogate(in TagValueSurrogate surrogate)
    {
        object? reference = surrogate.DataType switch
        {
            TagDataType.None or TagDataType.Boolean or TagDataType.Integer or TagDataType.Double => null,
            TagDataType.String => surrogate.Text,
            TagDataType.BooleanArray => surrogate.Booleans,
            TagDataType.IntegerArray => surrogate.Integers,
            TagDataType.DoubleArray => surrogate.Doubles,
            TagDataType.StringArray => surrogate.Strings,
            _ => throw new InvalidDataException($"Unknown tag data type {(int)surrogate.DataType}."),
        };
        if (reference is null && surrogate.DataType >= TagDataType.String)
            throw new InvalidDataException($"Tag value of type {surrogate.DataType} carries no matching payload.");
        if (surrogate.DataType == TagDataType.Boolean && surrogate.Scalar is not (0 or 1))
            throw new InvalidDataException($"Boolean tag value has scalar {surrogate.Scalar}.");
        return TagValue.FromRaw(surrogate.DataType, surrogate.DataType is TagDataType.None ? 0 : surrogate.Scalar, reference);
    }

    /// <inheritdoc />
    public TagValueSurrogate ConvertToSurrogate(in TagValue value)
    {
        var surrogate = new TagValueSurrogate { DataType = value.DataType, Scalar = value.ScalarBits };
        switch (value.Reference)
        {
            case string s: surrogate.Text = s; break;
            case bool[] b: surrogate.Booleans = b; break;
            case long[] l: surrogate.Integers = l; break;
            case double[] d: surrogate.Doubles = d; break;
            case string[] a: surrogate.Strings = a; break;
        }
        return surrogate;
    }
}
