using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.MqttGateway;

/// <summary>A declared tag of plain JSON devices (<c>Gateways:Mqtt:N:Json:Tags:{tag}</c>). Undeclared tags are
/// learned from the readings, read-only, and never narrow (an integer reading into a double tag is widened).</summary>
public sealed class JsonTagOptions
{
    /// <summary>The tag's type (Boolean, Integer, Double, String or an array of them); null: learned from the
    /// first reading. A declared Double takes integer readings (<c>{"Flow":12}</c>) as doubles.</summary>
    public TagDataType? DataType { get; set; }

    /// <summary>Commands may write the tag (default false: a measured value cannot be "commanded"). Needs
    /// <c>Json:CommandTopic</c>.</summary>
    public bool Writable { get; set; }

    /// <summary>Lowest value a command may write (numeric tags); null for no limit.</summary>
    public double? Minimum { get; set; }

    /// <summary>Highest value a command may write (numeric tags); null for no limit.</summary>
    public double? Maximum { get; set; }

    /// <summary>Engineering unit shown with the tag, e.g. <c>m3/h</c>.</summary>
    public string? Unit { get; set; }
}
