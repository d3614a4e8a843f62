using Imv.Gateways.OpcUa.Encoding;
using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.OpcUa.Gateway;

/// <summary>Decides a tag's type from a node's declaration and, where the declaration allows more than
/// one shape or type, from the value the server holds. Real servers declare arrays with ValueRank -1
/// (Scalar), -2 (Any) or -3 (ScalarOrOneDimension), and variables with abstract data types (BaseDataType,
/// Number, Integer): such a tag is typed by what the server sends, and re-typed when it sends another
/// shape later.</summary>
internal static class TagShape
{
    /// <summary>Sets <see cref="TagBinding.DataType"/>, <see cref="TagBinding.IsArray"/>,
    /// <see cref="TagBinding.ValueRank"/>, <see cref="TagBinding.TypedByValue"/> and
    /// <see cref="TagBinding.TagType"/>.</summary>
    /// <param name="tag">The binding to type.</param>
    /// <param name="declared">The built-in type of the node's DataType; null (or Variant) for abstract and vendor types.</param>
    /// <param name="valueRank">The node's ValueRank attribute.</param>
    /// <param name="sample">The node's current value (null when unknown).</param>
    public static void Resolve(TagBinding tag, BuiltInType? declared, int valueRank, in Variant sample)
    {
        var abstractType = declared is null or BuiltInType.Variant or BuiltInType.ExtensionObject;
        var flexibleShape = valueRank is -1 or -2 or -3;
        tag.ValueRank = valueRank;
        tag.TypedByValue = flexibleShape || abstractType;
        tag.DataType = declared == BuiltInType.Variant ? null : declared;
        tag.IsArray = valueRank >= 0;
        tag.TypeKnown = !abstractType || !sample.IsNull;
        if (!sample.IsNull)
        {
            if (abstractType) tag.DataType = sample.Type;
            if (flexibleShape) tag.IsArray = sample.IsArray;
        }
        tag.TagType = TagValueConversion.ToTagDataType(tag.DataType, tag.IsArray);
    }

    /// <summary>Fits a reading to its tag's type: returns the value (widened from integers into a double
    /// tag when needed) and true when it fits; false when it does not, with <paramref name="retype"/>
    /// true when the tag takes the reading's type instead (the caller describes the twin again): the
    /// declaration allows the reading's shape (ValueRank -1, -2, -3) with the same kind of element, or
    /// the reading widens an integer tag typed by value into a double one, or the tag's type was not
    /// known yet (an abstract data type without a value). Otherwise the reading is refused.</summary>
    public static bool TryFit(TagBinding tag, ref TagValue value, out bool retype)
    {
        retype = false;
        if (value.IsNone || value.DataType == tag.TagType) return true;
        switch (tag.TagType, value.DataType)
        {
            case (TagDataType.Double, TagDataType.Integer):
                value = TagValue.FromDouble(value.AsInteger());
                return true;
            case (TagDataType.DoubleArray, TagDataType.IntegerArray):
                value = TagValue.FromArray(Array.ConvertAll((long[])value.AsArray(), x => (double)x));
                return true;
        }
        if (!tag.TypedByValue) return false;
        var from = tag.TagType;
        var to = value.DataType;
        retype = !tag.TypeKnown
                 || tag.ValueRank is -1 or -2 or -3 && Kind(from) == Kind(to)
                 || Kind(from) == TagDataType.Integer && Kind(to) == TagDataType.Double && IsArray(from) == IsArray(to);
        return false;
    }

    /// <summary>The element kind of a type (Double for Double and DoubleArray ...).</summary>
    private static TagDataType Kind(TagDataType type) => type switch
    {
        TagDataType.BooleanArray => TagDataType.Boolean,
        TagDataType.IntegerArray => TagDataType.Integer,
        TagDataType.DoubleArray => TagDataType.Double,
        TagDataType.StringArray => TagDataType.String,
        _ => type,
    };

    private static bool IsArray(TagDataType type) => type >= TagDataType.BooleanArray;
}
