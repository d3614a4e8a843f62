using System.Globalization;
using Imv.Gateways.OpcUa.Encoding;
using Imv.Grains.Interfaces.Plant;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>Converts a method command's payload to the input arguments the method declares (its
/// InputArguments property): each value to the argument's data type and rank, with range checks. A
/// payload that does not fit is rejected before the call with a reason naming the argument.</summary>
internal static class MethodArgumentConversion
{
    /// <summary>Converts every argument; false with a reason ("BadTypeMismatch: argument 2 'Y' of
    /// Move (Double) ...") at the first that does not fit, or when the count differs.</summary>
    public static bool TryConvert(string method, IReadOnlyList<MethodArgument> declared, IReadOnlyList<TagValue> values, out Variant[] inputs, out string? error)
    {
        inputs = new Variant[values.Count];
        error = null;
        if (values.Count != declared.Count)
        {
            error = $"{(values.Count < declared.Count ? "BadArgumentsMissing" : "BadTooManyArguments")}: {method} takes {declared.Count} argument{(declared.Count == 1 ? "" : "s")}" +
                $"{(declared.Count == 0 ? "" : " (" + string.Join(", ", declared.Select(Describe)) + ")")}, the command gives {values.Count}";
            return false;
        }
        for (var i = 0; i < values.Count; i++)
        {
            if (TryConvertOne(values[i], declared[i], out inputs[i], out var code, out var reason)) continue;
            error = $"{code}: argument {i + 1} '{declared[i].Name}' of {method} ({TypeName(declared[i])}) {reason}";
            return false;
        }
        return true;
    }

    /// <summary>"Name Type" or "Name Type[]".</summary>
    public static string Describe(MethodArgument argument) => $"{argument.Name} {TypeName(argument)}";

    /// <summary>An argument as the twin description shows it: the tag value type a command gives for it,
    /// its rank, the OPC UA type and the description.</summary>
    public static MethodArgumentMetadata ToMetadata(MethodArgument argument, int index)
    {
        var type = TagValueConversion.FromDataTypeId(argument.DataType);
        var rank = argument.ValueRank switch { -1 => 0, -2 or -3 => -1, 0 => 1, var r => r };
        var dataType = TagValueConversion.ToTagDataType(type, rank > 0);
        return new MethodArgumentMetadata(
            string.IsNullOrEmpty(argument.Name) ? "arg" + (index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : argument.Name,
            dataType,
            rank,
            TypeName(argument),
            string.IsNullOrEmpty(argument.Description.Text) ? null : argument.Description.Text);
    }

    private static string TypeName(MethodArgument argument)
    {
        var type = TagValueConversion.FromDataTypeId(argument.DataType);
        var name = type?.ToString() ?? argument.DataType.ToString();
        return IsArray(argument) ? name + "[]" : name;
    }

    // ValueRank: -1 scalar, -3 scalar or one dimension (sent as given), -2 any, 0 one or more dimensions, n >= 1 n dimensions.
    private static bool IsArray(MethodArgument argument) => argument.ValueRank >= 0;

    private static bool TryConvertOne(TagValue value, MethodArgument argument, out Variant variant, out string code, out string reason)
    {
        variant = default;
        code = "BadTypeMismatch";
        reason = "";
        var type = TagValueConversion.FromDataTypeId(argument.DataType);
        var valueIsArray = value.DataType >= TagDataType.BooleanArray;
        if (value.DataType == TagDataType.None)
        {
            reason = "has no value";
            return false;
        }
        // Abstract, structured or vendor types: the value goes as it comes, and the server judges.
        if (type is not { } t || t == BuiltInType.Variant) return Fallback(value, null, out variant, out reason);
        // -2 (any rank) and -3 (scalar or one dimension) take either; -1 a scalar; 0 and above an array.
        var wantsArray = argument.ValueRank is -2 or -3 ? valueIsArray : IsArray(argument);
        if (!wantsArray)
        {
            if (!valueIsArray) return TryScalar(value, t, out variant, out code, out reason);
            reason = $"takes a single value, got an array of {value.AsArray().Length}";
            return false;
        }
        if (!valueIsArray)
        {
            reason = $"takes an array, got the single value {Show(value)}";
            return false;
        }
        var items = Elements(value);
        var typed = Array.CreateInstance(Variant.ArrayElementType(t)!, items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            if (!TryScalar(items[i], t, out var element, out code, out reason))
            {
                reason = $"element {i}: {reason}";
                return false;
            }
            typed.SetValue(element.Value, i);
        }
        variant = Variant.FromArray(t, typed);
        return true;
    }

    private static bool TryScalar(TagValue value, BuiltInType type, out Variant variant, out string code, out string reason)
    {
        variant = default;
        code = "BadTypeMismatch";
        reason = "";
        switch (type)
        {
            case BuiltInType.Boolean:
                if (value.DataType != TagDataType.Boolean) return Mismatch(value, out reason);
                variant = Variant.From(value.AsBoolean());
                return true;
            case >= BuiltInType.SByte and <= BuiltInType.UInt64:
                {
                    long n;
                    if (value.DataType == TagDataType.Integer) n = value.AsInteger();
                    else if (value.DataType == TagDataType.Double && value.AsDouble() is var d && Math.Floor(d) == d && d is >= long.MinValue and < 9.2233720368547758E18)
                        n = (long)d;
                    else if (value.DataType == TagDataType.Double)
                    {
                        reason = $"takes a whole number, got {Show(value)}";
                        return false;
                    }
                    else return Mismatch(value, out reason);
                    if (!TagValueConversion.TryToVariant(TagValue.FromInteger(n), type, out variant, out _) || type == BuiltInType.UInt64 && n < 0)
                    {
                        code = "BadOutOfRange";
                        reason = $"{n.ToString(CultureInfo.InvariantCulture)} does not fit {type}";
                        return false;
                    }
                    if (type == BuiltInType.Int64) variant = Variant.From(n);
                    return true;
                }
            case BuiltInType.Float or BuiltInType.Double:
                {
                    double d;
                    if (value.DataType == TagDataType.Double) d = value.AsDouble();
                    else if (value.DataType == TagDataType.Integer) d = value.AsInteger();
                    else return Mismatch(value, out reason);
                    if (type == BuiltInType.Float)
                    {
                        if (double.IsFinite(d) && Math.Abs(d) > float.MaxValue)
                        {
                            code = "BadOutOfRange";
                            reason = $"{Show(value)} does not fit Float";
                            return false;
                        }
                        variant = Variant.From((float)d);
                    }
                    else variant = Variant.From(d);
                    return true;
                }
            case BuiltInType.String:
                if (value.DataType != TagDataType.String) return Mismatch(value, out reason);
                variant = Variant.From(value.AsString());
                return true;
            case BuiltInType.DateTime:
                if (value.DataType == TagDataType.String
                    && DateTimeOffset.TryParse(value.AsString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                {
                    variant = Variant.From(at.UtcDateTime);
                    return true;
                }
                reason = $"takes an ISO 8601 date and time, got {Show(value)}";
                return false;
            case BuiltInType.Guid:
                if (value.DataType == TagDataType.String && Guid.TryParse(value.AsString(), out var guid))
                {
                    variant = Variant.From(guid);
                    return true;
                }
                reason = $"takes a GUID, got {Show(value)}";
                return false;
            case BuiltInType.LocalizedText:
                if (value.DataType != TagDataType.String) return Mismatch(value, out reason);
                variant = Variant.From(new LocalizedText(null, value.AsString()));
                return true;
            default:
                return Fallback(value, type, out variant, out reason);
        }
    }

    /// <summary>Types a command payload cannot express exactly (ByteString, NodeId, structures): the
    /// value goes as it is, and the server answers with the argument's status when it does not fit.</summary>
    private static bool Fallback(TagValue value, BuiltInType? type, out Variant variant, out string reason)
    {
        reason = "";
        if (TagValueConversion.TryToVariant(value, type, out variant, out var error)) return true;
        reason = error ?? "cannot be converted";
        return false;
    }

    private static bool Mismatch(TagValue value, out string reason)
    {
        reason = $"cannot take {Show(value)}";
        return false;
    }

    private static string Show(TagValue value) => value.DataType == TagDataType.String ? $"the String '{value}'" : $"the {value.DataType} {value}";

    private static TagValue[] Elements(TagValue value) => value.AsArray() switch
    {
        bool[] a => Array.ConvertAll(a, TagValue.FromBoolean),
        long[] a => Array.ConvertAll(a, TagValue.FromInteger),
        double[] a => Array.ConvertAll(a, TagValue.FromDouble),
        string[] a => Array.ConvertAll(a, TagValue.FromString),
        _ => [],
    };
}
