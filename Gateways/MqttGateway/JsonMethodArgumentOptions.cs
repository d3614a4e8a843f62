using Imv.Grains.Interfaces.Twins;

namespace Imv.Gateways.MqttGateway;

/// <summary>One input argument of a declared JSON method (<c>Gateways:Mqtt:N:Json:Methods:{method}:Arguments:{i}</c>).</summary>
public sealed class JsonMethodArgumentOptions
{
    /// <summary>The argument's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Its type (default Double); an integer is accepted for a Double argument.</summary>
    public TagDataType DataType { get; set; } = TagDataType.Double;
}
