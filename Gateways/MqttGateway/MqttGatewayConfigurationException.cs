namespace Imv.Gateways.MqttGateway;

/// <summary>The <c>Gateways:Mqtt</c> configuration is invalid; <see cref="Errors"/> names each key and value.</summary>
public sealed class MqttGatewayConfigurationException : Exception
{
    /// <summary>Creates the exception from the list of errors.</summary>
    public MqttGatewayConfigurationException(IReadOnlyList<string> errors)
        : base("Invalid MQTT gateway configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
    {
        Errors = errors;
    }

    /// <summary>Creates the exception with a message.</summary>
    public MqttGatewayConfigurationException(string message) : base(message) => Errors = [message];

    /// <summary>Creates the exception with a message and a cause.</summary>
    public MqttGatewayConfigurationException(string message, Exception inner) : base(message, inner) => Errors = [message];

    /// <summary>Creates the exception without detail.</summary>
    public MqttGatewayConfigurationException() : this("Invalid MQTT gateway configuration.") { }

    /// <summary>One line per problem: key, value, and what is wrong.</summary>
    public IReadOnlyList<string> Errors { get; }
}
