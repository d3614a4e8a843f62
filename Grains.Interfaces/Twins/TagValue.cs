using System.Globalization;
using Orleans;
using Orleans.Concurrency;

namespace Imv.Grains.Interfaces.Twins;

/// <summary>A typed tag value: a boolean, integer, double, string or an array of one of them.
/// Scalars are held inline (no boxing); strings and arrays by reference. 16 bytes: the data type of a scalar
/// is told by a shared marker in the reference field (a twin's 20 values cost 320 bytes, not 480).</summary>
/// <remarks>Immutable: an array handed to a tag value must not be changed afterwards, so grain calls pass
/// values without copying them. Serialized by <see cref="TagValueCodec"/>.</remarks>
[Immutable]
public readonly struct TagValue : IEquatable<TagValue>
{
    private readonly long _scalar;
    private readonly object? _reference;

    private TagValue(TagDataType type, long scalar, object? reference)
    {
        _scalar = scalar;
        _reference = type switch
        {
            TagDataType.None => null,
            TagDataType.Boolean => ScalarMarker.Boolean,
            TagDataType.Integer => ScalarMarker.Integer,
            TagDataType.Double => ScalarMarker.Double,
            _ => reference,
        };
    }

    /// <summary>The value's data type; <see cref="TagDataType.None"/> for the empty value.</summary>
    public TagDataType DataType => _reference switch
    {
        null => TagDataType.None,
        ScalarMarker m => m.Type,
        string => TagDataType.String,
        bool[] => TagDataType.BooleanArray,
        long[] => TagDataType.IntegerArray,
        double[] => TagDataType.DoubleArray,
        _ => TagDataType.StringArray,
    };

    /// <summary>True when no value is held.</summary>
    public bool IsNone => DataType == TagDataType.None;

    /// <summary>The empty value.</summary>
    public static TagValue None => default;

    /// <summary>A boolean value.</summary>
    public static TagValue FromBoolean(bool value) => new(TagDataType.Boolean, value ? 1 : 0, null);

    /// <summary>An integer value.</summary>
    public static TagValue FromInteger(long value) => new(TagDataType.Integer, value, null);

    /// <summary>A double value.</summary>
    public static TagValue FromDouble(double value) => new(TagDataType.Double, BitConverter.DoubleToInt64Bits(value), null);

    /// <summary>A string value.</summary>
    public static TagValue FromString(string value) => new(TagDataType.String, 0, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>A boolean array.</summary>
    public static TagValue FromArray(bool[] values) => new(TagDataType.BooleanArray, 0, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>An integer array.</summary>
    public static TagValue FromArray(long[] values) => new(TagDataType.IntegerArray, 0, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>A double array.</summary>
    public static TagValue FromArray(double[] values) => new(TagDataType.DoubleArray, 0, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>A string array.</summary>
    public static TagValue FromArray(string[] values) => new(TagDataType.StringArray, 0, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>The boolean; throws when the value is not a boolean.</summary>
    public bool AsBoolean() => DataType == TagDataType.Boolean ? _scalar != 0 : throw WrongType(TagDataType.Boolean);

    /// <summary>The integer; throws when the value is not an integer.</summary>
    public long AsInteger() => DataType == TagDataType.Integer ? _scalar : throw WrongType(TagDataType.Integer);

    /// <summary>The double; throws when the value is not a double.</summary>
    public double AsDouble() => DataType == TagDataType.Double ? BitConverter.Int64BitsToDouble(_scalar) : throw WrongType(TagDataType.Double);

    /// <summary>The string; throws when the value is not a string.</summary>
    public string AsString() => DataType == TagDataType.String ? (string)_reference! : throw WrongType(TagDataType.String);

    /// <summary>The array (bool[], long[], double[] or string[]); throws when the value is not an array.</summary>
    public Array AsArray() => DataType >= TagDataType.BooleanArray ? (Array)_reference! : throw WrongType(TagDataType.DoubleArray);

    /// <summary>The value as a number, for limits, alarms and control: booleans are 0 or 1.
    /// False when the value is not numeric.</summary>
    public bool TryGetNumber(out double number)
    {
        switch (DataType)
        {
            case TagDataType.Double: number = BitConverter.Int64BitsToDouble(_scalar); return true;
            case TagDataType.Integer: number = _scalar; return true;
            case TagDataType.Boolean: number = _scalar; return true;
            default: number = 0; return false;
        }
    }

    /// <summary>The raw scalar bits (for serialization).</summary>
    internal long ScalarBits => _scalar;

    /// <summary>The referenced string or array (for serialization); null for scalars.</summary>
    internal object? Reference => _reference is ScalarMarker ? null : _reference;

    internal static TagValue FromRaw(TagDataType type, long scalar, object? reference) => new(type, scalar, reference);

    private InvalidOperationException WrongType(TagDataType wanted) =>
        new($"Tag value is {DataType}, not {wanted}.");

    /// <inheritdoc />
    public bool Equals(TagValue other)
    {
        if (DataType != other.DataType) return false;
        return DataType switch
        {
            TagDataType.None => true,
            TagDataType.Boolean or TagDataType.Integer or TagDataType.Double => _scalar == other._scalar,
            TagDataType.String => string.Equals((string?)_reference, (string?)other._reference, StringComparison.Ordinal),
            TagDataType.BooleanArray => ((bool[])_reference!).AsSpan().SequenceEqual((bool[])other._reference!),
            TagDataType.IntegerArray => ((long[])_reference!).AsSpan().SequenceEqual((long[])other._reference!),
            TagDataType.DoubleArray => ((double[])_reference!).AsSpan().SequenceEqual((double[])other._reference!),
            TagDataType.StringArray => ((string[])_reference!).AsSpan().SequenceEqual((string[])other._reference!),
            _ => false,
        };
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TagValue other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DataType, _scalar, _reference is string s ? s.GetHashCode(StringComparison.Ordinal) : 0);

    /// <summary>Equality.</summary>
    public static bool operator ==(TagValue left, TagValue right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(TagValue left, TagValue right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => DataType switch
    {
        TagDataType.None => "(none)",
        TagDataType.Boolean => AsBoolean() ? "true" : "false",
        TagDataType.Integer => _scalar.ToString(CultureInfo.InvariantCulture),
        TagDataType.Double => AsDouble().ToString("R", CultureInfo.InvariantCulture),
        TagDataType.String => (string)_reference!,
        _ => "[" + string.Join(",", ((Array)_reference!).Cast<object>().Select(o => Convert.ToString(o, CultureInfo.InvariantCulture))) + "]",
    };

    /// <summary>Tells a scalar's data type from the reference field; one shared instance per type.</summary>
    private sealed class ScalarMarker(TagDataType type)
    {
        public static readonly ScalarMarker Boolean = new(TagDataType.Boolean);
        public static readonly ScalarMarker Integer = new(TagDataType.Integer);
        public static readonly ScalarMarker Double = new(TagDataType.Double);

        public TagDataType Type { get; } = type;
    }
}
