using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.MqttJson;

/// <summary>Fits a JSON reading or command value to a tag's type without ever narrowing it: a whole number
/// (what many JSON writers emit for 12.0) goes into a double tag as a double, an empty array into any
/// array tag.</summary>
internal static class JsonValueFit
{
    /// <summary>True when the value fits <paramref name="type"/>, converted in place when needed.</summary>
    public static bool TryFit(TagDataType type, ref TagValue value)
    {
        if (value.IsNone || value.DataType == type) return true;
        switch (type, value.DataType)
        {
            case (TagDataType.Double, TagDataType.Integer):
                value = TagValue.FromDouble(value.AsInteger());
                return true;
            case (TagDataType.DoubleArray, TagDataType.IntegerArray):
                value = TagValue.FromArray(Array.ConvertAll((long[])value.AsArray(), x => (double)x));
                return true;
        }
        if (type >= TagDataType.BooleanArray && value.DataType >= TagDataType.BooleanArray && value.AsArray().Length == 0)
        {
            value = type switch
            {
                TagDataType.BooleanArray => TagValue.FromArray(Array.Empty<bool>()),
                TagDataType.IntegerArray => TagValue.FromArray(Array.Empty<long>()),
                TagDataType.StringArray => TagValue.FromArray(Array.Empty<string>()),
                _ => TagValue.FromArray(Array.Empty<double>()),
            };
            return true;
        }
        return false;
    }

    /// <summary>True when a learned tag of type <paramref name="from"/> becomes <paramref name="to"/> on a reading:
    /// an integer tag that receives a fraction.</summary>
    public static bool Widens(TagDataType from, TagDataType to) =>
        from == TagDataType.Integer && to == TagDataType.Double || from == TagDataType.IntegerArray && to == TagDataType.DoubleArray;
}
