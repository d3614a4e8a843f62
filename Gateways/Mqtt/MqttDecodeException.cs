namespace Imv.Gateways.Mqtt;

/// <summary>A packet or payload could not be decoded: it is malformed, oversized or violates the
/// protocol. The only exception the decoders throw for bad input.</summary>
public sealed class MqttDecodeException : Exception
{
    /// <summary>Creates the exception with a message saying what is wrong.</summary>
    public MqttDecodeException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public MqttDecodeException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception without a message (prefer the other constructors).</summary>
    public MqttDecodeException() : base("Malformed MQTT data.") { }
}
