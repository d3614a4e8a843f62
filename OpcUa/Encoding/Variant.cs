using System.Globalization;

namespace Imv.Gateways.OpcUa.Encoding;

/// <summary>A value of any built-in type, scalar, array or matrix. Numeric scalars are held inline so a
/// notification does not box; everything else by reference. Arrays are typed CLR arrays (double[],
/// string[], Variant[] ...); a matrix is its flattened array with <see cref="Dimensions"/>.</summary>
public readonly struct Variant : IEquatable<Variant>
{
    private readonly long _bits;
    private readonly object? _ref;

    private Variant(BuiltInType type, long bits, object? reference, bool isArray, int[]? dimensions)
    {
        Type = type;
        _bits = bits;
        _ref = reference;
        IsArray = isArray;
        Dimensions = dimensions;
    }

    /// <summary>The null variant.</summary>
    public static Variant Null => default;

    /// <summary>The built-in type of the value or of the array's elements.</summary>
    public BuiltInType Type { get; }

    /// <summary>True for arrays and matrices.</summary>
    public bool IsArray { get; }

    /// <summary>The matrix dimensions (null for scalars and one-dimensional arrays).</summary>
    public int[]? Dimensions { get; }

    /// <summary>True when no value is held.</summary>
    public bool IsNull => Type == BuiltInType.Null;

    /// <summary>The raw inline bits of a numeric scalar, for conversions that must not box: the value
    /// itself for Boolean and the integers (UInt64 reinterpreted), the IEEE bits for Float (low 32) and
    /// Double, UTC ticks for DateTime, the code for StatusCode; 0 for values held by reference.</summary>
    public long Bits => _bits;

    /// <summary>The referenced object (string, typed array, NodeId...); null for inline scalars.</summary>
    public object? Reference => _ref;

    /// <summary>A scalar from its built-in type and inline bits (decoder use).</summary>
    internal static Variant FromBits(BuiltInType type, long bits) => new(type, bits, null, false, null);

    /// <summary>A scalar held by reference (decoder use).</summary>
    internal static Variant FromReference(BuiltInType type, object? value) => new(type, 0, value, false, null);

    /// <summary>An array or matrix of the given element type. The array's CLR type must match the
    /// element type (double[] for Double, byte[][] for ByteString, Variant[] for Variant...).</summary>
    public static Variant FromArray(BuiltInType elementType, Array values, int[]? dimensions = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (ArrayElementType(elementType) != values.GetType().GetElementType())
            throw new ArgumentException($"A {elementType} array must be {ArrayElementType(elementType)?.Name}[], not {values.GetType().Name}.", nameof(values));
        if (dimensions is not null)
        {
            long product = 1;
            foreach (var d in dimensions) product *= d;
            if (product != values.Length)
                throw new ArgumentException($"Dimensions [{string.Join(",", dimensions)}] do not match {values.Length} elements.", nameof(dimensions));
        }
        return new Variant(elementType, 0, values, true, dimensions);
    }

    /// <summary>A variant from a CLR value: bool, sbyte .. double, string, DateTime, Guid, byte[] (a
    /// ByteString), XmlElementText, NodeId, ExpandedNodeId, StatusCode, QualifiedName, LocalizedText,
    /// ExtensionObject, DataValue, DiagnosticInfo, or a typed array of one of them.</summary>
    public static Variant From(object? value)
    {
        switch (value)
        {
            case null: return Null;
            case Variant v: return v;
            case bool b: return FromBits(BuiltInType.Boolean, b ? 1 : 0);
            case sbyte v: return FromBits(BuiltInType.SByte, v);
            case byte v: return FromBits(BuiltInType.Byte, v);
            case short v: return FromBits(BuiltInType.Int16, v);
            case ushort v: return FromBits(BuiltInType.UInt16, v);
            case int v: return FromBits(BuiltInType.Int32, v);
            case uint v: return FromBits(BuiltInType.UInt32, v);
            case long v: return FromBits(BuiltInType.Int64, v);
            case ulong v: return FromBits(BuiltInType.UInt64, unchecked((long)v));
            case float v: return FromBits(BuiltInType.Float, BitConverter.SingleToInt32Bits(v));
            case double v: return FromBits(BuiltInType.Double, BitConverter.DoubleToInt64Bits(v));
            case string v: return FromReference(BuiltInType.String, v);
            case DateTime v: return FromBits(BuiltInType.DateTime, v.ToUniversalTime().Ticks);
            case Guid v: return FromReference(BuiltInType.Guid, v);
            case byte[] v: return FromReference(BuiltInType.ByteString, v);
            case XmlElementText v: return FromReference(BuiltInType.XmlElement, v);
            case NodeId v: return FromReference(BuiltInType.NodeId, v);
            case ExpandedNodeId v: return FromReference(BuiltInType.ExpandedNodeId, v);
            case StatusCode v: return FromBits(BuiltInType.StatusCode, v.Code);
            case QualifiedName v: return FromReference(BuiltInType.QualifiedName, v);
            case LocalizedText v: return FromReference(BuiltInType.LocalizedText, v);
            case ExtensionObject v: return FromReference(BuiltInType.ExtensionObject, v);
            case DataValue v: return FromReference(BuiltInType.DataValue, v);
            case DiagnosticInfo v: return FromReference(BuiltInType.DiagnosticInfo, v);
            case Array a:
                var element = a.GetType().GetElementType()!;
                for (var t = BuiltInType.Boolean; t <= BuiltInType.DiagnosticInfo; t++)
                {
                    if (ArrayElementType(t) == element) return FromArray(t, a);
                }
                break;
        }
        throw new ArgumentException($"{value.GetType().Name} is not an OPC UA built-in type.", nameof(value));
    }

    /// <summary>The CLR element type used for arrays of a built-in type (null for Null and unknown types).</summary>
    public static Type? ArrayElementType(BuiltInType type) => type switch
    {
        BuiltInType.Boolean => typeof(bool),
        BuiltInType.SByte => typeof(sbyte),
        BuiltInType.Byte => typeof(byte),
        BuiltInType.Int16 => typeof(short),
        BuiltInType.UInt16 => typeof(ushort),
        BuiltInType.Int32 => typeof(int),
        BuiltInType.UInt32 => typeof(uint),
        BuiltInType.Int64 => typeof(long),
        BuiltInType.UInt64 => typeof(ulong),
        BuiltInType.Float => typeof(float),
        BuiltInType.Double => typeof(double),
        BuiltInType.String => typeof(string),
        BuiltInType.DateTime => typeof(DateTime),
        BuiltInType.Guid => typeof(Guid),
        BuiltInType.ByteString => typeof(byte[]),
        BuiltInType.XmlElement => typeof(XmlElementText),
        BuiltInType.NodeId => typeof(NodeId),
        BuiltInType.ExpandedNodeId => typeof(ExpandedNodeId),
        BuiltInType.StatusCode => typeof(StatusCode),
        BuiltInType.QualifiedName => typeof(QualifiedName),
        BuiltInType.LocalizedText => typeof(LocalizedText),
        BuiltInType.ExtensionObject => typeof(ExtensionObject),
        BuiltInType.DataValue => typeof(DataValue),
        BuiltInType.Variant => typeof(Variant),
        BuiltInType.DiagnosticInfo => typeof(DiagnosticInfo),
        _ => null,
    };

    /// <summary>The value as a CLR object (boxes numeric scalars).</summary>
    public object? Value
    {
        get
        {
            if (IsArray) return _ref;
            return Type switch
            {
                BuiltInType.Null => null,
                BuiltInType.Boolean => _bits != 0,
                BuiltInType.SByte => (sbyte)_bits,
                BuiltInType.Byte => (byte)_bits,
                BuiltInType.Int16 => (short)_bits,
                BuiltInType.UInt16 => (ushort)_bits,
                BuiltInType.Int32 => (int)_bits,
                BuiltInType.UInt32 => (uint)_bits,
                BuiltInType.Int64 => _bits,
                BuiltInType.UInt64 => unchecked((ulong)_bits),
                BuiltInType.Float => BitConverter.Int32BitsToSingle((int)_bits),
                BuiltInType.Double => BitConverter.Int64BitsToDouble(_bits),
                BuiltInType.DateTime => new DateTime(_bits, DateTimeKind.Utc),
                BuiltInType.StatusCode => new StatusCode(unchecked((uint)_bits)),
                _ => _ref,
            };
        }
    }

    /// <summary>The value as a double when it is a numeric scalar.</summary>
    public bool TryGetDouble(out double value)
    {
        value = 0;
        if (IsArray) return false;
        switch (Type)
        {
            case BuiltInType.Boolean:
            case BuiltInType.SByte:
            case BuiltInType.Byte:
            case BuiltInType.Int16:
            case BuiltInType.UInt16:
            case BuiltInType.Int32:
            case BuiltInType.UInt32:
            case BuiltInType.Int64:
                value = _bits;
                return true;
            case BuiltInType.UInt64: value = unchecked((ulong)_bits); return true;
            case BuiltInType.Float: value = BitConverter.Int32BitsToSingle((int)_bits); return true;
            case BuiltInType.Double: value = BitConverter.Int64BitsToDouble(_bits); return true;
            default: return false;
        }
    }

    /// <inheritdoc />
    public bool Equals(Variant other)
    {
        if (Type != other.Type || IsArray != other.IsArray) return false;
        if (!IsArray) return StructuralEquals(Value, other.Value);
        if (!(Dimensions ?? []).AsSpan().SequenceEqual(other.Dimensions ?? [])) return false;
        var a = (Array)_ref!;
        var b = (Array)other._ref!;
        if (a.Length != b.Length) return false;
        for (var i = 0; i < a.Length; i++)
        {
            if (!StructuralEquals(a.GetValue(i), b.GetValue(i))) return false;
        }
        return true;
    }

    private static bool StructuralEquals(object? a, object? b) => (a, b) switch
    {
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (ExtensionObject x, ExtensionObject y) => x.TypeId == y.TypeId && x.Encoding == y.Encoding && x.Body.AsSpan().SequenceEqual(y.Body),
        (DataValue x, DataValue y) => x.Value.Equals(y.Value) && x.StatusCode == y.StatusCode && x.SourceTimestamp == y.SourceTimestamp && x.ServerTimestamp == y.ServerTimestamp,
        _ => Equals(a, b),
    };

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Variant other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, IsArray, _bits);

    /// <summary>Equality.</summary>
    public static bool operator ==(Variant left, Variant right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Variant left, Variant right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString()
    {
        if (IsNull) return "(null)";
        if (IsArray)
        {
            var a = (Array)_ref!;
            return Type + "[" + a.Length.ToString(CultureInfo.InvariantCulture) + "]";
        }
        return Convert.ToString(Value, CultureInfo.InvariantCulture) ?? "";
    }
}
