namespace Imv.Gateways.MqttGateway;

/// <summary>A method plain JSON devices accept (<c>Gateways:Mqtt:N:Json:Methods:{method}</c>): published on the
/// command topic as <c>{"id":..,"method":..,"args":[..]}</c>. Undeclared methods are rejected before publishing.</summary>
public sealed class JsonMethodOptions
{
    /// <summary>The input arguments in order (empty: none).</summary>
    public List<JsonMethodArgumentOptions> Arguments { get; set; } = [];
}
