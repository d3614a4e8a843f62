namespace Imv.Gateways.Mqtt;

/// <summary>The broker refused an operation (CONNACK, SUBACK, UNSUBACK, DISCONNECT) with a reason
/// code, and for MQTT 5 possibly a reason string.</summary>
public sealed class MqttReasonException : Exception
{
    /// <summary>Creates the exception for a refused operation.</summary>
    public MqttReasonException(string operation, byte reasonCode, string? reasonString)
        : base(FormatMessage(operation, reasonCode, reasonString))
    {
        Operation = operation;
        ReasonCode = reasonCode;
        ReasonString = reasonString;
    }

    /// <summary>Creates the exception with a plain message.</summary>
    public MqttReasonException(string message) : base(message) { Operation = ""; }

    /// <summary>Creates the exception with a plain message and a cause.</summary>
    public MqttReasonException(string message, Exception inner) : base(message, inner) { Operation = ""; }

    /// <summary>Creates the exception without detail (prefer the other constructors).</summary>
    public MqttReasonException() : base("The broker refused the operation.") { Operation = ""; }

    /// <summary>What was refused (CONNECT, SUBSCRIBE, ...).</summary>
    public string Operation { get; }

    /// <summary>The MQTT reason code (MQTT 3.1.1 CONNACK return codes are kept as sent).</summary>
    public byte ReasonCode { get; }

    /// <summary>The MQTT 5 reason string, when the broker sent one.</summary>
    public string? ReasonString { get; }

    private static string FormatMessage(string operation, byte code, string? reason) =>
        reason is null
            ? $"{operation} refused by the broker: reason code 0x{code:X2} ({MqttReasonCodes.Describe(code)})."
            : $"{operation} refused by the broker: reason code 0x{code:X2} ({MqttReasonCodes.Describe(code)}): {reason}.";
}
